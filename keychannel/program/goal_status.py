"""A goal's status (ahead, on track, behind) is computed from data, so nothing "changes" it by a write: this sweep
compares each goal of a launched program with the status last announced and emits ``goal.status_changed`` for the
ones that moved. The first sweep of a goal records its status without an event (there is no "before")."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from keychannel.core.events import emit

from .models import PUBLISHED_PROGRAM, Goal
from .selectors import goal_progress


def goal_status_sweep(*, on: date | None = None) -> int:
    """Record every live goal's status; returns how many changed (each one emitted once)."""
    on = on or timezone.localdate()
    goals = Goal.objects.filter(program__status__in=PUBLISHED_PROGRAM, starts_on__lte=on).order_by("pk")
    changed = 0
    for progress in goal_progress(goals, on=on):
        goal = progress.goal
        if progress.status == goal.reported_status:
            continue
        with transaction.atomic():
            # One sweep wins when two run at once: only the one that moves the stored status emits.
            moved = Goal.objects.filter(pk=goal.pk, reported_status=goal.reported_status).update(
                reported_status=progress.status)
            if moved and goal.reported_status:
                goal.reported_status = progress.status
                emit("goal.status_changed", goal)
                changed += 1
    return changed

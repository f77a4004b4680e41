"""Goals cascaded to distributors, and their milestones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.policies import require
from keychannel.network.models import Distributor

from .. import metrics
from ..choices import GoalLevel, ProgramStatus
from ..models import Goal, Milestone, Program
from .common import _save

# --- goals and milestones -----------------------------------------------------------------------------------------


def goal_validate(goal: Goal) -> None:
    """The cascade's rules for one goal (ValidationError by field): every path that writes a goal, the admin's
    form included, checks it (a goal under a distributor goal would not be summed, cockpit and scorecard alike)."""
    errors = {}
    if goal.metric not in metrics.METRICS:
        errors["metric"] = _("Unknown metric.")
    if goal.level == GoalLevel.DISTRIBUTOR and goal.distributor_id is None:
        errors["distributor"] = _("A distributor goal needs its distributor.")
    if goal.level != GoalLevel.DISTRIBUTOR and goal.distributor_id is not None:
        errors["distributor"] = _("Only distributor goals name a distributor.")
    if goal.parent_id:
        parent = goal.parent
        if parent.program_id != goal.program_id:
            errors["parent"] = _("The parent goal belongs to another program.")
        elif parent.level == GoalLevel.DISTRIBUTOR:
            errors["parent"] = _("A distributor goal is a leaf of the cascade.")
    elif goal.level != GoalLevel.PROGRAM:
        errors["parent"] = _("Office, department and distributor goals sit under another goal.")
    if goal.starts_on and goal.ends_on:
        if goal.ends_on < goal.starts_on:
            errors["ends_on"] = _("The period cannot end before it starts.")
        elif goal.starts_on < goal.program.starts_on or goal.ends_on > goal.program.ends_on:
            errors["starts_on"] = _("The goal's period must lie within the program's period.")
    if goal.target is not None and goal.target < 0:
        errors["target"] = _("The target cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def goal_create(
    *, principal, program: Program, level: str, name: str, metric: str, target: Decimal, parent: Goal | None = None,
    distributor: Distributor | None = None, starts_on: date | None = None, ends_on: date | None = None,
) -> Goal:
    require(principal, "program.goal.change", program)
    if program.status == ProgramStatus.CLOSED:
        raise ValidationError(_("A closed program's goals no longer change."))
    if level == GoalLevel.DISTRIBUTOR and distributor is not None and not name:
        name = distributor.legal_name
    goal = Goal(
        program=program, parent=parent, level=level, name=(name or "").strip(), distributor=distributor, metric=metric,
        target=target, starts_on=starts_on or program.starts_on, ends_on=ends_on or program.ends_on,
    )
    goal_validate(goal)
    return _save(goal)


@transaction.atomic
def goal_update(*, principal, goal: Goal, **fields) -> Goal:
    require(principal, "program.goal.change", goal)
    goal = Goal.objects.select_related("program", "parent").get(pk=goal.pk)
    if goal.program.status == ProgramStatus.CLOSED:
        raise ValidationError(_("A closed program's goals no longer change."))
    for name in ("name", "target", "starts_on", "ends_on"):
        if name in fields and fields[name] is not None:
            setattr(goal, name, fields[name])
    goal_validate(goal)
    return _save(goal)


@transaction.atomic
def milestone_create(*, principal, goal: Goal, title: str, expected_result: str, due_on: date) -> Milestone:
    require(principal, "program.milestone.change", goal)
    return _save(Milestone(goal=goal, title=title, expected_result=expected_result, due_on=due_on))


@transaction.atomic
def milestone_achieve(*, principal, milestone: Milestone, achieved_on: date | None = None) -> Milestone:
    require(principal, "program.milestone.change", milestone)
    milestone.achieved_on = achieved_on or timezone.localdate()
    return _save(milestone)

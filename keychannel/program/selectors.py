"""Reads of the program app, always from visible_to; goal actuals in a fixed number of queries."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from keychannel.core.scoping import get_visible_or_404
from keychannel.network.models import Distributor

from . import metrics
from .choices import (
    GoalLevel,
    GoalStatus,
    ProgramStatus,
    RuleKind,
    RuleStatus,
    SignoffDecision,
    SupportStatus,
)
from .models import (
    Acknowledgement,
    Award,
    BestPractice,
    CalendarFeed,
    CorporateTier,
    Course,
    Enrollment,
    Event,
    EventInvitation,
    Goal,
    LearningResource,
    LedgerEntry,
    Milestone,
    Program,
    ProgramLevel,
    ProgramRule,
    Signoff,
    SupportBudget,
    SupportRequest,
)

# Within ±10 % of the target-to-date counts as on track.
TOLERANCE = Decimal("0.10")


# --- programs and sign-off ------------------------------------------------------------------------------------


def program_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Program.objects.visible_to(principal).select_related("manager")
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if year := filters.get("year"):
        qs = qs.filter(starts_on__year=year)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(name__icontains=q) | Q(strategy__icontains=q))
    return qs


def program_get(*, principal, pk):
    return get_visible_or_404(program_list(principal=principal), principal, pk=pk)


def current_program(*, principal, on: date | None = None):
    """The launched program a distributor works in today (by its period, see lifecycle.current_program), or None."""
    from .lifecycle import current_program as by_period

    return by_period(principal=principal, on=on)


def executives():
    from django.contrib.auth import get_user_model

    from keychannel.core.choices import Role

    return get_user_model().objects.filter(membership__role=Role.EXECUTIVE, is_active=True).order_by("username")


def signoff_board(*, principal, program) -> dict:
    """Every executive with their decision (or none yet), and whether the program may launch without override."""
    decisions = {
        s.executive_id: s for s in Signoff.objects.visible_to(principal).filter(program=program, version=program.version)
    }
    rows = [{"executive": user, "signoff": decisions.get(user.pk)} for user in executives()]
    all_approved = bool(rows) and all(r["signoff"] and r["signoff"].decision == SignoffDecision.APPROVE for r in rows)
    return {"rows": rows, "all_approved": all_approved, "objections": sum(
        1 for r in rows if r["signoff"] and r["signoff"].decision == SignoffDecision.OBJECT
    )}


# --- goals and actuals --------------------------------------------------------------------------------------


@dataclass
class Progress:
    goal: Goal
    actual: Decimal | None
    target_to_date: Decimal
    status: str

    @property
    def available(self) -> bool:
        return self.actual is not None

    @property
    def percent(self) -> int:
        """Actual as a share of the full target, for progress bars (capped at 100)."""
        if self.actual is None or not self.goal.target:
            return 0
        return int(min(Decimal(100), self.actual * 100 / self.goal.target))

    @property
    def to_date_percent(self) -> int:
        if not self.goal.target:
            return 0
        return int(min(Decimal(100), self.target_to_date * 100 / self.goal.target))

    def get_status_display(self):
        return GoalStatus(self.status).label


def elapsed_share(start: date, end: date, on: date) -> Decimal:
    if on < start:
        return Decimal(0)
    if on >= end:
        return Decimal(1)
    return Decimal((on - start).days + 1) / Decimal((end - start).days + 1)


def target_to_date(goal, on: date) -> Decimal:
    """Linear pro-rating of the target over the goal's period."""
    return (goal.target * elapsed_share(goal.starts_on, goal.ends_on, on)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def status_of(actual: Decimal | None, expected: Decimal) -> str:
    if actual is None:
        return GoalStatus.NOT_AVAILABLE
    if expected == 0:
        return GoalStatus.AHEAD if actual > 0 else GoalStatus.ON_TRACK
    if actual > expected * (1 + TOLERANCE):
        return GoalStatus.AHEAD
    if actual >= expected * (1 - TOLERANCE):
        return GoalStatus.ON_TRACK
    return GoalStatus.BEHIND


def _subtree_distributors(program_ids) -> dict[int, set[int]]:
    """goal id -> distributor ids of the distributor goals below it (one query for all the programs)."""
    rows = list(Goal.objects.filter(program_id__in=program_ids).values_list("pk", "parent_id", "distributor_id"))
    parent = {pk: parent_id for pk, parent_id, _ in rows}
    below: dict[int, set[int]] = defaultdict(set)
    for pk, _parent_id, distributor_id in rows:
        if distributor_id is None:
            continue
        node = pk
        while node is not None:
            below[node].add(distributor_id)
            node = parent.get(node)
    return below


def goal_progress(goals, *, on: date | None = None) -> list[Progress]:
    """Actual, target-to-date and status for each goal.

    Queries: one for the tree, then one grouped query per (metric, period) for the goals below the program
    level, and one total per (metric, period) for program-level goals (the whole network). Never per goal.
    """
    on = on or timezone.localdate()
    goals = list(goals)
    if not goals:
        return []
    below = _subtree_distributors({g.program_id for g in goals})
    grouped_ids: dict[tuple, set[int]] = defaultdict(set)
    network: set[tuple] = set()
    for goal in goals:
        key = (goal.metric, goal.starts_on, goal.ends_on)
        if goal.level == GoalLevel.PROGRAM and goal.parent_id is None:
            network.add(key)
        else:
            grouped_ids[key] |= below.get(goal.pk, set()) | ({goal.distributor_id} if goal.distributor_id else set())
    grouped: dict[tuple, dict | None] = {}
    for key, ids in grouped_ids.items():
        metric = metrics.get(key[0])
        grouped[key] = metric.by_distributor(ids, key[1], key[2]) if metric else None
    totals: dict[tuple, Decimal | None] = {}
    for key in network:
        metric = metrics.get(key[0])
        totals[key] = metric.total(None, key[1], key[2]) if metric else None
    out = []
    for goal in goals:
        key = (goal.metric, goal.starts_on, goal.ends_on)
        if key in totals and goal.level == GoalLevel.PROGRAM and goal.parent_id is None:
            actual = totals[key]
        else:
            values = grouped.get(key)
            if values is None:
                actual = None
            else:
                ids = below.get(goal.pk, set()) | ({goal.distributor_id} if goal.distributor_id else set())
                actual = sum((values.get(i, Decimal(0)) for i in ids), Decimal(0))
        expected = target_to_date(goal, on)
        out.append(Progress(goal=goal, actual=actual, target_to_date=expected, status=status_of(actual, expected)))
    return out


def goal_list(*, principal, filters: dict | None = None):
    from .filters import GOAL_FILTERS

    qs = Goal.objects.visible_to(principal).select_related("program", "distributor", "parent")
    return GOAL_FILTERS.apply(qs, filters, principal)


def goal_get(*, principal, pk):
    return get_visible_or_404(goal_list(principal=principal), principal, pk=pk)


def goal_tree(*, principal, program, on: date | None = None, filters: dict | None = None) -> list[dict]:
    """The visible goals of a program (narrowed by ``filters``, filters.GOAL_FILTERS) as nested rows with their
    progress (a goal whose parent is hidden or filtered out is a root)."""
    goals = list(goal_list(principal=principal, filters=filters).filter(program=program)
                 .order_by("level", "name", "metric", "pk"))
    progress = {p.goal.pk: p for p in goal_progress(goals, on=on)}
    visible = {g.pk for g in goals}
    children: dict[int | None, list] = defaultdict(list)
    for goal in goals:
        children[goal.parent_id if goal.parent_id in visible else None].append(goal)

    def build(parent_id, depth):
        return [
            {"progress": progress[g.pk], "depth": depth, "children": build(g.pk, depth + 1)}
            for g in children.get(parent_id, [])
        ]

    return build(None, 0)


def flatten(tree) -> list[dict]:
    out = []
    for node in tree:
        out.append(node)
        out.extend(flatten(node["children"]))
    return out


def month_ends(start: date, end: date, until: date) -> list[date]:
    points = []
    year, month = start.year, start.month
    while True:
        last = date(year, month, calendar.monthrange(year, month)[1])
        point = min(last, end)
        if point > until:
            break
        points.append(point)
        if last >= end:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


def goal_series(goal, *, on: date | None = None) -> dict:
    """Cumulative actual and target-to-date at each month end of the goal's period (up to today): one query a month."""
    on = on or timezone.localdate()
    metric = metrics.get(goal.metric)
    if goal.level == GoalLevel.PROGRAM and goal.parent_id is None:
        ids = None
    else:
        ids = _subtree_distributors([goal.program_id]).get(goal.pk, set()) | (
            {goal.distributor_id} if goal.distributor_id else set()
        )
    labels, actual, expected = [], [], []
    points = month_ends(goal.starts_on, goal.ends_on, max(on, goal.starts_on))
    if goal.starts_on <= on < goal.ends_on and (not points or points[-1] < on):
        points.append(on)  # the month so far: without it the chart stopped at the last month end
    for index, point in enumerate(points):
        labels.append(point.isoformat())
        # The last point is the goal's actual exactly as goal_progress (the table) computes it — the same
        # metric over the goal's period —, so the headline chart and its table never disagree.
        end = goal.ends_on if index == len(points) - 1 else point
        value = metric.total(ids, goal.starts_on, end) if metric else None
        actual.append(float(value) if value is not None else None)
        expected.append(float(target_to_date(goal, point)))
    return {"labels": labels, "actual": actual, "target_to_date": expected, "target": float(goal.target)}


def level_summary(progress: list[Progress]) -> list[dict]:
    """Per goal level: how many goals are ahead, on track, behind (for the goals page header)."""
    table: dict[str, dict] = {}
    for p in progress:
        row = table.setdefault(p.goal.level, {"level": GoalLevel(p.goal.level).label, "total": 0, **{s.value: 0 for s in GoalStatus}})
        row["total"] += 1
        row[p.status] += 1
    order = [lv.value for lv in GoalLevel]
    return [table[k] for k in order if k in table]


def milestone_list(*, principal, goal):
    return Milestone.objects.visible_to(principal).filter(goal=goal)


# --- rules, acknowledgement, ledger, statement ------------------------------------------------------------------


def rule_list(*, principal, program=None, filters: dict | None = None):
    filters = filters or {}
    qs = ProgramRule.objects.visible_to(principal).select_related("program")
    if program is not None:
        qs = qs.filter(program=program)
    for name in ("program_id", "kind", "status"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if not principal.is_manufacturer:
        qs = qs.filter(program__status__in=[ProgramStatus.LAUNCHED, ProgramStatus.CLOSED])
    return qs


def rule_get(*, principal, pk):
    return get_visible_or_404(rule_list(principal=principal), principal, pk=pk)


def acknowledgement_board(*, principal, program) -> dict:
    """Published rules × the distributors the principal reaches: who acknowledged, who not yet. Three queries."""
    rules = list(rule_list(principal=principal, program=program).filter(status=RuleStatus.PUBLISHED))
    distributors = list(Distributor.objects.visible_to(principal).filter(active=True))
    reach = principal.distributor_ids
    if reach is not None:
        distributors = [d for d in distributors if d.pk in reach]
    acks = Acknowledgement.objects.visible_to(principal).filter(rule__in=rules).select_related("acknowledged_by")
    done = {(a.rule_id, a.distributor_id): a for a in acks}
    rows = []
    for distributor in distributors:
        cells = [done.get((r.pk, distributor.pk)) for r in rules]
        rows.append({"distributor": distributor, "cells": cells, "missing": sum(1 for c in cells if c is None)})
    return {
        "rules": rules,
        "rows": rows,
        "pending": [r["distributor"] for r in rows if r["missing"]],
        "acknowledged": sum(1 for r in rows if not r["missing"]),
    }


def pending_rules_for(*, principal, distributor) -> list:
    """Published rules the distributor has not acknowledged yet."""
    done = Acknowledgement.objects.filter(distributor=distributor).values("rule_id")
    return list(
        rule_list(principal=principal).filter(status=RuleStatus.PUBLISHED).exclude(pk__in=done).order_by("program", "code")
    )


def ledger_list(*, principal, distributor=None):
    qs = LedgerEntry.objects.visible_to(principal).select_related("distributor", "rule", "owner")
    if distributor is not None:
        qs = qs.filter(distributor=distributor)
    return qs


def incentive_statement(*, principal, program, distributor, on: date | None = None) -> dict:
    """Incentives earned by one distributor for the program period, computed from its goal actuals.

    An incentive rule's parameters: ``metric`` (a registry key), ``bonus_percent`` (of the value above target) or
    ``amount_per_unit`` (RON per unit above target, for count metrics), optionally ``cap`` (RON). Penalties and rewards on the ledger are listed beside.
    """
    on = on or timezone.localdate()
    goals = [g for g in goal_list(principal=principal).filter(program=program, distributor=distributor)]
    progress = {p.goal.metric: p for p in goal_progress(goals, on=on)}
    lines = []
    total = Decimal(0)
    for rule in rule_list(principal=principal, program=program).filter(status=RuleStatus.PUBLISHED, kind=RuleKind.INCENTIVE):
        key = rule.parameters.get("metric")
        p = progress.get(key)
        line = {"rule": rule, "metric": metrics.get(key).label if metrics.get(key) else key, "target": None,
                "actual": None, "excess": None, "amount": None, "note": ""}
        if p is None:
            line["note"] = "no_goal"
        elif p.actual is None:
            line["target"], line["note"] = p.goal.target, "not_available"
        else:
            excess = max(Decimal(0), p.actual - p.goal.target)
            if "amount_per_unit" in rule.parameters:
                amount = excess * Decimal(str(rule.parameters["amount_per_unit"]))
            else:
                amount = excess * rule.bonus_percent / 100
            amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
            if (cap := rule.parameters.get("cap")) is not None:
                amount = min(amount, Decimal(str(cap)))
            line.update(target=p.goal.target, actual=p.actual, excess=excess, amount=amount)
            total += amount
        lines.append(line)
    ledger = list(ledger_list(principal=principal, distributor=distributor).filter(rule__program=program))
    penalties = sum((e.amount for e in ledger if e.kind == "penalty" and e.appeal_status != "granted"), Decimal(0))
    rewards = sum((e.amount for e in ledger if e.kind == "reward" and e.appeal_status != "granted"), Decimal(0))
    return {"lines": lines, "incentives": total, "ledger": ledger, "penalties": penalties, "rewards": rewards,
            "net": total + rewards - penalties, "on": on}


# --- levels -----------------------------------------------------------------------------------------------------


def distributor_level(*, principal, program, distributor, on: date | None = None) -> dict:
    """Which level the data qualifies the distributor for, what the next level needs and how far it is."""
    from .levels import qualify

    on = on or timezone.localdate()
    levels = list(
        ProgramLevel.objects.visible_to(principal).filter(program=program).prefetch_related("criteria").order_by("rank")
    )
    return qualify(levels, program, distributor.pk, on)


# --- events and the calendar -------------------------------------------------------------------------------------


def event_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Event.objects.visible_to(principal).select_related("program")
    for name in ("kind", "status", "program_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if year := filters.get("year"):
        qs = qs.filter(starts_at__year=year)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(location__icontains=q))
    return qs


def event_get(*, principal, pk):
    return get_visible_or_404(event_list(principal=principal), principal, pk=pk)


def invitation_list(*, principal, event):
    return EventInvitation.objects.visible_to(principal).filter(event=event).select_related("user", "distributor")


def my_invitations(*, principal, events) -> dict[int, EventInvitation]:
    return {i.event_id: i for i in EventInvitation.objects.filter(user_id=principal.user_id, event__in=events)}


def calendar_feed_get(*, principal):
    return CalendarFeed.objects.visible_to(principal).first()


def calendar_events_for_user(user):
    """What a feed shows: published events the user may see (cancelled ones too, so clients remove them)."""
    from keychannel.core.scoping import Principal

    principal = Principal.for_user(user)
    if not principal.is_authenticated:
        return Event.objects.none(), {}
    events = list(Event.objects.visible_to(principal).exclude(status="draft").order_by("starts_at", "pk"))
    return events, my_invitations(principal=principal, events=events)


# --- support ----------------------------------------------------------------------------------------------------


def budget_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = SupportBudget.objects.visible_to(principal).select_related("distributor", "level")
    if year := filters.get("year"):
        qs = qs.filter(year=year)
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    return qs


def budgets_with_remaining(qs) -> list[SupportBudget]:
    """Budgets with committed/remaining attached, in two queries whatever the number of budgets."""
    from django.db.models import Case, DecimalField, F, Sum, When

    budgets = list(qs)
    committed = dict(
        SupportRequest.objects.filter(budget__in=budgets)
        .order_by()
        .values("budget_id")
        .annotate(
            total=Sum(
                Case(
                    When(status=SupportStatus.APPROVED, then=F("amount_approved")),
                    When(status__in=[SupportStatus.CLAIMED, SupportStatus.PAID], then=F("amount_claimed")),
                    default=0,
                    output_field=DecimalField(max_digits=16, decimal_places=2),
                )
            )
        )
        .values_list("budget_id", "total")
    )
    for budget in budgets:
        budget.committed_amount = committed.get(budget.pk) or Decimal(0)
        budget.remaining_amount = budget.amount - budget.committed_amount
    return budgets


def support_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = SupportRequest.objects.visible_to(principal).select_related("distributor", "budget", "requested_by")
    for name in ("kind", "status", "distributor_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    return qs


def support_get(*, principal, pk):
    return get_visible_or_404(support_list(principal=principal), principal, pk=pk)


def award_list(*, principal, distributor=None):
    qs = Award.objects.visible_to(principal).select_related("distributor", "awarded_by")
    return qs.filter(distributor=distributor) if distributor is not None else qs


# --- learning, best practices, tiers ----------------------------------------------------------------------------


def course_list(*, principal):
    return Course.objects.visible_to(principal).annotate(
        module_total=Count("modules", distinct=True),
    )


def course_get(*, principal, pk):
    return get_visible_or_404(
        Course.objects.prefetch_related("modules"), principal, pk=pk
    )


def enrollment_list(*, principal, course=None, filters: dict | None = None):
    filters = filters or {}
    qs = Enrollment.objects.visible_to(principal).select_related("course", "user", "distributor")
    if course is not None:
        qs = qs.filter(course=course)
    for name in ("course_id", "distributor_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    return qs


def completion_by_distributor(*, principal) -> list[dict]:
    """Enrolled and completed people per distributor (one grouped query)."""
    rows = (
        enrollment_list(principal=principal)
        .filter(distributor__isnull=False)
        .order_by()
        .values("distributor_id", "distributor__code", "distributor__legal_name")
        .annotate(enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by("distributor__code")
    )
    return [dict(r, percent=int(r["completed"] * 100 / r["enrolled"]) if r["enrolled"] else 0) for r in rows]


def resource_list(*, principal):
    return LearningResource.objects.visible_to(principal)


def resource_get(*, principal, pk):
    return get_visible_or_404(LearningResource, principal, pk=pk)


def best_practice_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = BestPractice.objects.visible_to(principal).select_related("distributor", "author")
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if year := filters.get("year"):
        qs = qs.filter(starts_on__year=year)
    return qs


def best_practice_get(*, principal, pk):
    return get_visible_or_404(best_practice_list(principal=principal), principal, pk=pk)


def tier_list(*, principal):
    return CorporateTier.objects.visible_to(principal).prefetch_related("service_levels")


def tier_contracts(*, principal) -> dict[str, dict]:
    """Contracts the principal may see, per tier code: count and value (one grouped query)."""
    from django.apps import apps
    from django.db.models import Sum

    contract = apps.get_model("deals", "CorporateContract")
    rows = (contract.objects.visible_to(principal).filter(status="active").order_by().values("tier")
            .annotate(count=Count("pk"), value=Sum("value")))
    return {r["tier"]: r for r in rows}


def best_practice_deal_visible(*, principal, practice) -> bool:
    """Whether the reader may open the linked deal (the story is shared; the deal's data is not)."""
    if not practice.deal_id:
        return False
    from django.apps import apps

    opportunity = apps.get_model("deals", "Opportunity")
    return opportunity.objects.visible_to(principal).filter(pk=practice.deal_id).exists()


def tier_for_volume(*, principal, volume: Decimal):
    """The highest offered tier whose threshold the annual volume reaches, or None."""
    return tier_list(principal=principal).filter(active=True, min_annual_volume__lte=volume).order_by("-min_annual_volume").first()


def distributor_for_overview(*, principal, pk):
    """A distributor whose program page the caller may open: within reach (404 otherwise)."""
    from django.http import Http404

    distributor = get_visible_or_404(Distributor.objects.select_related("territory"), principal, pk=pk)
    if not principal.reaches(distributor.pk):
        raise Http404
    return distributor


def home_pending_acknowledgements(principal):
    """For a distributor head: published rules not acknowledged yet (None for everybody else)."""
    if not principal.has_role("dist_head") or not principal.own_distributor_id:
        return None
    done = Acknowledgement.objects.filter(distributor_id=principal.own_distributor_id).values("rule_id")
    return rule_list(principal=principal).filter(status=RuleStatus.PUBLISHED).exclude(pk__in=done).count()

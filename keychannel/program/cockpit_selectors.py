"""Cockpit panels of the program app (registered in apps.py; docs/cockpits.md).

Reads like selectors.py (which is at its size limit): always from ``visible_to``, a fixed number of queries
per panel whatever the number of goals, distributors or requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keychannel.core.cockpit import (
    PANEL_LIMIT,
    CockpitFigure,
    CockpitItem,
    PanelContent,
    first_rows,
    item_url,
    limited,
    money,
    once_for,
    short_date,
)
from keychannel.core.scoping import in_lookup
from keychannel.network.models import Distributor

from . import metrics
from .choices import (
    AppealStatus,
    EventStatus,
    GoalLevel,
    GoalStatus,
    ProgramStatus,
    RuleStatus,
    SignoffDecision,
    SupportStatus,
)
from .models import Acknowledgement, Event, Goal, LedgerEntry, Program, Signoff, SupportBudget, SupportRequest
from .selectors import (
    budgets_with_remaining,
    goal_progress,
    incentive_statement,
    pending_rules_for,
    rule_list,
)

# What goal_progress and a goal's cockpit item read of a goal.
GOAL_PROGRESS_FIELDS = ("program_id", "parent_id", "level", "name", "distributor_id", "metric", "target", "starts_on",
                        "ends_on")


@dataclass(frozen=True, slots=True)
class GoalRow:
    """A goal as goal_progress and the cockpit items read it: a values() row, not a model instance (the network
    cockpits read every distributor goal of the running programs, 144 at full size, and their distributors)."""

    pk: int
    program_id: int
    parent_id: int | None
    level: str
    name: str
    distributor_id: int | None
    metric: str
    target: Decimal
    starts_on: date
    ends_on: date
    distributor_code: str = ""
    distributor_name: str = ""


def _goal_rows(goals, *, with_distributor: bool = False) -> list[GoalRow]:
    extra = ("distributor__code", "distributor__legal_name") if with_distributor else ()
    return [GoalRow(*row) for row in goals.values_list("pk", *GOAL_PROGRESS_FIELDS, *extra)]


def _running_goals(principal, today) -> list[GoalRow]:
    """The running programs' network goals (program level, at the top) and distributor goals, in one statement
    read once per cockpit: the network-goals and the furthest-behind panels each take theirs."""
    def read():
        goals = Goal.objects.visible_to(principal).filter(program__in=_launched(principal, today)).filter(
            Q(level=GoalLevel.PROGRAM, parent__isnull=True) | Q(distributor__isnull=False))
        return _goal_rows(goals, with_distributor=True)

    return once_for(principal, f"program.running_goals.{today}", read)
# The executive reads money first.
MONEY_FIRST = ("corporate_revenue", "won_contracts", "new_key_accounts", "weighted_pipeline")
STATUS_TONE = {GoalStatus.AHEAD: "success", GoalStatus.ON_TRACK: "success", GoalStatus.BEHIND: "danger",
               GoalStatus.NOT_AVAILABLE: "secondary"}


def _launched(principal, today):
    return Program.objects.visible_to(principal).filter(status=ProgramStatus.LAUNCHED, starts_on__lte=today,
                                                         ends_on__gte=today)


def _own_distributor(principal):
    """A head's own distributor, read once per request (the rules to acknowledge; the goals panel needs only its id)."""
    key = ("program.own_distributor", principal.own_distributor_id)
    if key not in principal._cache:
        principal._cache[key] = Distributor.objects.visible_to(principal).get(pk=principal.own_distributor_id)
    return principal._cache[key]


def _value(metric_key, value) -> str:
    metric = metrics.get(metric_key)
    if value is None:
        return "—"
    return money(value) if metric and metric.is_money else f"{value.normalize():f}" if value % 1 else str(int(value))


def _goal_item(p) -> CockpitItem:
    label = metrics.get(p.goal.metric).label if metrics.get(p.goal.metric) else p.goal.metric
    return CockpitItem(
        label=f"{p.goal.name} · {label}", url=item_url("program:goal_detail", p.goal.pk),
        detail=_("%(actual)s of %(target)s (to date %(to_date)s)") % {
            "actual": _value(p.goal.metric, p.actual), "target": _value(p.goal.metric, p.goal.target),
            "to_date": _value(p.goal.metric, p.target_to_date)},
        badge=p.get_status_display(), tone=STATUS_TONE.get(p.status, "secondary"),
    )


def network_goals(principal, today):
    """Program-level goals of the running programs, money first, and the pipeline's cover of the revenue left."""
    goals = [g for g in _running_goals(principal, today) if g.level == GoalLevel.PROGRAM and g.parent_id is None]
    progress = goal_progress(goals, on=today)
    progress.sort(key=lambda p: (MONEY_FIRST.index(p.goal.metric) if p.goal.metric in MONEY_FIRST else 9, p.goal.name))
    figures = []
    revenue = next((p for p in progress if p.goal.metric == "corporate_revenue" and p.actual is not None), None)
    pipeline = metrics.get("weighted_pipeline")
    if revenue and pipeline:
        left = max(Decimal(0), revenue.goal.target - revenue.actual)
        # The pipeline now: a network goal on it that ends today or later read it in goal_progress's statement.
        now = next((p.actual for p in progress if p.goal.metric == "weighted_pipeline" and p.actual is not None
                    and pipeline.reads_now(p.goal.ends_on)), None) if pipeline.reads_now(today) else None
        weighted = (now if now is not None else pipeline.total(None, revenue.goal.starts_on, today)) or Decimal(0)
        cover = (weighted / left) if left else None
        figures.append(CockpitFigure(
            _("Pipeline cover of the revenue left"), f"{cover:.1f}×" if cover is not None else _("goal reached"),
            url=item_url("deals:forecast"),
            detail=_("%(weighted)s weighted for %(left)s left") % {"weighted": money(weighted), "left": money(left)},
            tone="danger" if cover is not None and cover < 1 else "success"))
    return PanelContent(items=[_goal_item(p) for p in progress[:8]], figures=figures)


def distributors_behind(principal, today):
    """Distributors with goals behind plan in the running programs, the furthest behind first."""
    # Only the columns the progress and the items read (144 goals and their distributors at full size).
    goals = [g for g in _running_goals(principal, today) if g.distributor_id is not None]
    worst: dict[int, dict] = {}
    for p in goal_progress(goals, on=today):
        if p.status != GoalStatus.BEHIND or principal.distributor_ids is not None and \
                p.goal.distributor_id not in principal.distributor_ids:
            continue
        share = (p.actual / p.target_to_date) if p.target_to_date else Decimal(1)
        row = worst.setdefault(p.goal.distributor_id, {"count": 0, "share": share, "goal": p})
        row["count"] += 1
        if share < row["share"]:
            row["share"], row["goal"] = share, p
    rows = sorted(worst.values(), key=lambda r: (r["share"], r["goal"].goal.distributor_code))
    items = []
    for row in rows[:PANEL_LIMIT]:  # the panel lists these; the rest are counted
        p = row["goal"]
        label = metrics.get(p.goal.metric).label if metrics.get(p.goal.metric) else p.goal.metric
        items.append(CockpitItem(
            label=p.goal.distributor_name, url=item_url("program:distributor_overview", p.goal.distributor_id),
            detail=_("%(metric)s at %(percent)d%% of plan to date") % {"metric": label, "percent": int(row["share"] * 100)},
            badge=_("%(count)d behind") % {"count": row["count"]}, tone="danger"))
    return limited(items, len(rows))


def attention_goals_behind(principal, distributor_ids, today) -> dict[int, int]:
    # Counts need no order: without the goals' default one (by program start and name) the statement joins no
    # program and sorts nothing.
    goals = _goal_rows(Goal.objects.visible_to(principal).filter(program__in=_launched(principal, today),
                                                                 distributor_id__in=in_lookup(distributor_ids))
                       .order_by())
    counts: dict[int, int] = {}
    for p in goal_progress(goals, on=today):
        if p.status == GoalStatus.BEHIND:
            counts[p.goal.distributor_id] = counts.get(p.goal.distributor_id, 0) + 1
    return counts


def approvals(principal, today):
    """What waits for the program office: support to decide or pay, appeals to decide."""
    items = []
    support = (SupportRequest.objects.visible_to(principal)
               .filter(status__in=[SupportStatus.REQUESTED, SupportStatus.CLAIMED]).select_related("distributor")
               .order_by("created_at", "pk"))
    # One row past the panel tells whether a count is needed at all (few appeals wait at a time).
    support_rows, total = first_rows(support)
    for r in support_rows:
        items.append(CockpitItem(
            label=r.title, url=item_url("program:support_detail", r.pk),
            detail=f"{r.distributor.code} · {r.get_kind_display()}",
            badge=_("to decide") if r.status == SupportStatus.REQUESTED else _("claim to pay"), tone="warning"))
    appeals = (LedgerEntry.objects.visible_to(principal).filter(appeal_status=AppealStatus.APPEALED)
               .select_related("distributor", "rule").order_by("applied_on", "pk"))
    appeal_rows, appealed = first_rows(appeals)
    total += appealed
    for e in appeal_rows:
        items.append(CockpitItem(
            label=f"{e.rule.code} · {e.distributor.code}", url=item_url("program:distributor_overview", e.distributor_id),
            detail=_("%(kind)s of %(date)s") % {"kind": e.get_kind_display(), "date": short_date(e.applied_on)},
            badge=_("appeal"), tone="danger"))
    return limited(items, total)


def signoff_state(principal, today):
    """Programs awaiting sign-off: who decided; for an executive, whether their own decision is missing."""
    programs = list(Program.objects.visible_to(principal).filter(status=ProgramStatus.AWAITING_SIGNOFF).order_by("starts_on"))
    if not programs:
        return []
    decisions = list(Signoff.objects.visible_to(principal).filter(program__in=programs).values_list(
        "program_id", "version", "executive_id", "decision"))
    items = []
    for program in programs:
        current = [d for d in decisions if d[0] == program.pk and d[1] == program.version]
        mine = next((d[3] for d in current if d[2] == principal.user_id), None)
        approved = sum(1 for d in current if d[3] == SignoffDecision.APPROVE)
        objected = sum(1 for d in current if d[3] == SignoffDecision.OBJECT)
        if principal.has_role("executive"):
            badge, tone = (_("your decision is due"), "danger") if mine is None else (
                SignoffDecision(mine).label, "secondary")
        else:
            badge, tone = (ngettext("%(count)d objection", "%(count)d objections", objected) % {"count": objected}, "danger") if objected else (
                _("%(count)d approved") % {"count": approved}, "warning")
        items.append(CockpitItem(label=program.name, url=item_url("program:program_detail", program.pk),
                                 detail=_("approved %(approved)d · objected %(objected)d") % {
                                     "approved": approved, "objected": objected}, badge=str(badge), tone=tone))
    return items


def acknowledgements_missing(principal, today):
    """Distributors that have not acknowledged every published rule of the running programs."""
    programs = list(_launched(principal, today))
    if not programs:
        return []
    rules = list(rule_list(principal=principal).filter(program__in=programs, status=RuleStatus.PUBLISHED)
                 .values_list("pk", "program_id"))
    if not rules:
        return []
    distributors = Distributor.objects.visible_to(principal).filter(active=True)
    if principal.distributor_ids is not None:
        distributors = distributors.filter(pk__in=in_lookup(principal.distributor_ids))
    # Counted by the database: the first distributors behind and how many there are, not 2,000 distributors read.
    # Those that acknowledged every rule come from the acknowledgements (one per rule and distributor), so the
    # first rows are read in code order from the index and each one's count is looked up for them alone: grouping
    # every distributor with its acknowledgements grew with the network (issue 22).
    given = Acknowledgement.objects.filter(rule_id__in=[r[0] for r in rules]).order_by()
    complete = given.values("distributor_id").annotate(n=Count("pk")).filter(n=len(rules)).values("distributor_id")
    done = Subquery(given.filter(distributor_id=OuterRef("pk")).values("distributor_id").annotate(n=Count("pk"))
                    .values("n"), output_field=IntegerField())
    behind = distributors.exclude(pk__in=complete).annotate(done=Coalesce(done, 0)).order_by("code")
    first, total = first_rows(behind.values_list("code", "legal_name", "done"))
    url = item_url("program:ack_dashboard", programs[0].pk)
    items = [CockpitItem(label=name, url=url, detail=code,
                         badge=_("%(count)d to acknowledge") % {"count": len(rules) - done}, tone="warning")
             for code, name, done in first]
    return limited(items, total)


def events_this_week(principal, today):
    """Published events in the next seven days the principal may see."""
    start = timezone.make_aware(datetime.combine(today, time.min))
    events = (Event.objects.visible_to(principal).filter(status=EventStatus.PUBLISHED, starts_at__gte=start,
                                                         starts_at__lt=start + timedelta(days=7))
              .order_by("starts_at", "pk"))
    rows, total = first_rows(events)
    items = [
        CockpitItem(label=e.title, url=item_url("program:event_detail", e.pk),
                    detail=f"{timezone.localtime(e.starts_at):%Y-%m-%d %H:%M} · {e.location}".rstrip(" ·"),
                    badge=e.get_kind_display())
        for e in rows
    ]
    return limited(items, total)


def my_goals(principal, today):
    """A distributor head's goals in the running program and the incentive statement so far."""
    distributor_id = principal.own_distributor_id
    program = _launched(principal, today).order_by("-starts_on").first()
    if not distributor_id or program is None:
        return []
    # Rows, not model instances: the items and the statement read only the progress fields.
    goals = _goal_rows(Goal.objects.visible_to(principal).filter(program=program, distributor_id=distributor_id))
    progress = goal_progress(goals, on=today)
    items = [_goal_item(p) for p in progress]
    # The statement pays on these same goals: their progress is passed, not computed a second time. It narrows the
    # ledger by the distributor's id (its own, in the head's reach): no statement reads the distributor itself.
    statement = incentive_statement(principal=principal, program=program, distributor=distributor_id, on=today,
                                    progress=progress)
    overview = item_url("program:distributor_overview", distributor_id)
    figures = [CockpitFigure(_("Incentive statement (RON)"), money(statement["net"]), url=overview,
                             detail=_("incentives %(incentives)s · penalties %(penalties)s") % {
                                 "incentives": money(statement["incentives"]), "penalties": money(statement["penalties"])})]
    return PanelContent(items=items[:8], figures=figures)


def my_support(principal, today):
    """A distributor head's support budget left this year and the approved support to claim."""
    distributor_id = principal.own_distributor_id
    if not distributor_id:
        return None
    budgets = budgets_with_remaining(SupportBudget.objects.visible_to(principal).filter(
        distributor_id=distributor_id, year=today.year))
    figures = [CockpitFigure(_("Support budget left (RON)"), money(sum((b.remaining_amount for b in budgets), Decimal(0))),
                             url=item_url("program:support_list"),
                             detail=_("of %(amount)s") % {"amount": money(sum((b.amount for b in budgets), Decimal(0)))})]
    to_claim = (SupportRequest.objects.visible_to(principal).filter(distributor_id=distributor_id)
                .filter(Q(status=SupportStatus.APPROVED) | Q(status=SupportStatus.REQUESTED)).order_by("status", "pk"))
    items = [CockpitItem(label=r.title, url=item_url("program:support_detail", r.pk), detail=r.get_kind_display(),
                         badge=_("claim due") if r.status == SupportStatus.APPROVED else r.get_status_display(),
                         tone="warning" if r.status == SupportStatus.APPROVED else "secondary")
             for r in to_claim[:8]]
    return PanelContent(items=items, figures=figures)


def rules_to_acknowledge(principal, today):
    """Published rules the head's distributor has not acknowledged yet."""
    distributor_id = principal.own_distributor_id
    if not distributor_id:
        return None
    distributor = _own_distributor(principal)
    rules = pending_rules_for(principal=principal, distributor=distributor)
    return limited([
        CockpitItem(label=f"{r.code} · {r.title}", url=item_url("program:program_detail", r.program_id),
                    detail=r.get_kind_display(), badge=_("acknowledge"), tone="warning")
        for r in rules
    ])

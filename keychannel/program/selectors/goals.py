"""Goals and their actuals: progress against the target to date, the goal tree, series and milestones."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from keychannel.core.cockpit import once
from keychannel.core.scoping import get_visible_or_404

from .. import metrics
from ..choices import GoalLevel, GoalStatus
from ..filters import GOAL_FILTERS
from ..models import Goal, Milestone

# Within ±10 % of the target-to-date counts as on track.
TOLERANCE = Decimal("0.10")


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
    """goal id -> distributor ids of the distributor goals below it (one query for all the programs; read once per
    cockpit, whose panels ask for the same programs' trees)."""
    programs = frozenset(program_ids)
    return once(("program.goal_tree", programs), lambda: _read_subtree_distributors(programs))


def _read_subtree_distributors(program_ids) -> dict[int, set[int]]:
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

    Queries: one for the tree (none when every goal is a network or distributor goal), then one statement for the
    actuals (metrics.read_many: a grouped branch per (metric, period) for the goals below the program level, a
    total per (metric, period) for program-level goals, the whole network), plus any metric source that is no
    query (the network's pipeline now, read once per cockpit). Never per goal.
    """
    on = on or timezone.localdate()
    goals = list(goals)
    if not goals:
        return []
    # Network goals (program level, at the top) read the whole network and a distributor goal is a leaf of the
    # cascade (services/goals.py refuses a child under it): only office and department goals need the tree.
    below = _subtree_distributors({g.program_id for g in goals}) if any(
        not (g.level == GoalLevel.PROGRAM and g.parent_id is None or g.level == GoalLevel.DISTRIBUTOR)
        for g in goals) else {}
    grouped_ids: dict[tuple, set[int]] = defaultdict(set)
    network: set[tuple] = set()
    for goal in goals:
        key = (goal.metric, goal.starts_on, goal.ends_on)
        if goal.level == GoalLevel.PROGRAM and goal.parent_id is None:
            network.add(key)
        else:
            grouped_ids[key] |= below.get(goal.pk, set()) | ({goal.distributor_id} if goal.distributor_id else set())
    grouped, totals = metrics.read_many(grouped_ids, network)
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

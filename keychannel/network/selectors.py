"""Reads of the network app, always through visible_to."""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from keychannel.core.pagination import stored_count
from keychannel.core.redaction import redacted

from .models import (
    ActionItem,
    ChannelPresence,
    ComplianceReview,
    Coverage,
    Distributor,
    Playbook,
    ProductLine,
    ReadinessAssessment,
    ReadinessQuestionnaire,
    Territory,
)
from .redaction import distributor_hidden_fields
from .relationship_selectors import (  # noqa: F401  (re-exported: callers import them from here)
    DEFAULT_STALE_DAYS,
    ESCALATE,
    MAP_ROW,
    MAP_TIER_GAP,
    SEVERITY_ORDER,
    HealthFlag,
    interaction_list,
    person_list,
    relationship_health,
    relationship_health_overview,
    relationship_list,
    relationship_map,
    stale_days_setting,
)


def distributors_managed_by(principal):
    return Distributor.objects.filter(channel_manager_id=principal.user_id).values_list("id", flat=True)


def distributors_of_organization(principal):
    return Distributor.objects.filter(organization_id=principal.organization_id).values_list("id", flat=True)


def distributors_of_membership(membership: str) -> str:
    """``distributors_of_organization`` as SQL correlated to the membership table ``membership`` (quoted), read in
    the statement that reads the membership (core.scoping.with_reach)."""
    quote = connection.ops.quote_name
    return (f"SELECT d.{quote('id')} FROM {quote(Distributor._meta.db_table)} d "
            f"WHERE d.{quote(Distributor._meta.get_field('organization').column)} = {membership}.{quote('organization_id')}")


def distributor_count(principal):
    return Distributor.objects.visible_to(principal).count()


def distributor_list(*, principal, filters: dict | None = None):
    """Distributors the principal may see, with what list pages and the API show, in a fixed number of queries.

    Fields hidden from the principal (network/redaction.py) come back as None, and filtering on them is ignored:
    a filter on a hidden field would tell its value by what it lets through."""
    filters = filters or {}
    qs = redacted(
        Distributor.objects.visible_to(principal)
        .select_related("territory", "channel_manager", "organization")
        .prefetch_related("product_lines"),
        principal,
    )
    hidden = distributor_hidden_fields(principal, None)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(legal_name__icontains=q) | Q(code__icontains=q) | Q(tax_id__icontains=q) | Q(city__icontains=q))
    for name in ("kind", "size_tier", "contract_strength", "stance", "shares_goals", "shares_methods"):
        if name in hidden:
            continue
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if territory_id := filters.get("territory_id"):
        qs = qs.filter(territory_id=territory_id)
    if channel_manager_id := filters.get("channel_manager_id"):
        qs = qs.filter(channel_manager_id=channel_manager_id)
    if external_id := (filters.get("external_id") or "").strip():
        qs = qs.filter(external_id=external_id)
    return qs


def distributor_get(*, principal, pk):
    from keychannel.core.scoping import get_visible_or_404

    return get_visible_or_404(distributor_list(principal=principal), principal, pk=pk)


def territory_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Territory.objects.visible_to(principal).select_related("parent")
    if level := filters.get("level"):
        qs = qs.filter(level=level)
    if parent_id := filters.get("parent_id"):
        qs = qs.filter(parent_id=parent_id)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(name__icontains=q)
    return qs


def territory_tree(*, principal) -> list[dict]:
    """Territories as nested dicts (one query), with the number of distributors headquartered in each."""
    qs = Territory.objects.visible_to(principal)
    # Network-wide counts are manufacturer knowledge: a distributor does not learn how many peers it has.
    if principal.is_manufacturer:
        qs = qs.annotate(distributor_total=Count("headquartered_distributors"))
    rows = list(qs)
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def build(parent_id):
        return [{"node": node, "children": build(node.pk)} for node in children.get(parent_id, [])]

    return build(None)


def product_line_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = ProductLine.objects.visible_to(principal)
    if principal.is_manufacturer:
        qs = qs.annotate(distributor_total=Count("distributors"))
    if (active := filters.get("active")) is not None:
        qs = qs.filter(active=active)
    return qs


# --- coverage ---------------------------------------------------------------------------------------------------
#
# ``eligible_distributors`` and ``distributor_covers`` answer a rule question for other apps (registrations, lead
# routing): they are not scoped to a principal, callers scope what they show.


def _pk(value):
    return getattr(value, "pk", value)


def territory_lineage_ids(territory) -> list[int]:
    """The territory and its ancestors up to the root (the territory first), one small query per level."""
    ids: list[int] = []
    current = _pk(territory)
    parent_of = {}
    while current is not None and current not in ids:
        ids.append(current)
        if current not in parent_of:
            row = Territory.objects.filter(pk=current).values_list("parent_id", flat=True).first()
            parent_of[current] = row
        current = parent_of[current]
    return ids


def _applicable_coverages(*, territory, product_lines, on_date):
    lineage = territory_lineage_ids(territory)
    return (
        Coverage.objects.active_on(on_date)
        .filter(territory_id__in=lineage, product_line_id__in=[_pk(p) for p in product_lines], distributor__active=True)
        .values_list("distributor_id", "product_line_id", "exclusive")
    )


def _allowed_by_line(rows) -> dict[int, set[int]]:
    """Product line id -> distributor ids allowed to sell it; exclusive rights shut out shared coverage."""
    shared: dict[int, set[int]] = {}
    exclusive: dict[int, set[int]] = {}
    for distributor_id, line_id, is_exclusive in rows:
        (exclusive if is_exclusive else shared).setdefault(line_id, set()).add(distributor_id)
    return {line: exclusive.get(line) or shared.get(line, set()) for line in set(shared) | set(exclusive)}


def eligible_distributors(*, territory, product_line, on_date):
    """Who may sell ``product_line`` to a client in ``territory`` on ``on_date``.

    Coverage of a territory covers every territory below it (a region covers its counties and cities). Where any
    applicable coverage is exclusive, only its holders are eligible. Inactive distributors never are.
    Returns a QuerySet of Distributor (unscoped: the caller decides what it shows).
    """
    allowed = _allowed_by_line(_applicable_coverages(territory=territory, product_lines=[product_line], on_date=on_date))
    return Distributor.objects.filter(pk__in=sorted(allowed.get(_pk(product_line), set())))


def distributor_covers(*, distributor, territory, product_lines, on_date) -> list:
    """The product lines among ``product_lines`` that ``distributor`` may NOT sell in ``territory`` on ``on_date``.

    An empty list means the distributor covers them all. Same rule as ``eligible_distributors``.
    """
    lines = list(product_lines)
    if not lines:
        return []
    line_objects = {p.pk: p for p in lines if isinstance(p, ProductLine)}
    missing_ids = [pk for pk in {_pk(p) for p in lines} if pk not in line_objects]
    if missing_ids:
        line_objects.update(ProductLine.objects.in_bulk(missing_ids))
    allowed = _allowed_by_line(_applicable_coverages(territory=territory, product_lines=lines, on_date=on_date))
    distributor_id = _pk(distributor)
    uncovered = {pk for pk in line_objects if distributor_id not in allowed.get(pk, set())}
    return sorted((line_objects[pk] for pk in uncovered), key=lambda p: (p.name, p.pk))


class TerritoryRow(NamedTuple):
    """What a sole-channel cell needs of a territory (its names, its parent for the walk up the tree): a tuple per
    territory of the network, not a model instance of every column (most of the distributor page's Python)."""

    pk: int
    parent_id: int | None
    name: str
    code: str


class HolderRow(NamedTuple):
    """A coverage's distributor as a sole-channel cell names and orders it."""

    pk: int
    code: str


class CoverageRow(NamedTuple):
    """What a sole-channel cell needs of a coverage row (coverage_cells reads these attributes of a Coverage)."""

    territory_id: int
    product_line_id: int
    exclusive: bool
    distributor_id: int
    distributor: HolderRow


@dataclass
class CoverageCell:
    territory: Territory
    product_line: ProductLine
    distributors: list = field(default_factory=list)  # eligible distributors, by code
    exclusive: bool = False
    conflict: bool = False  # an exclusive right overlaps another distributor's coverage

    @property
    def state(self) -> str:
        if self.conflict:
            return "conflict"
        if not self.distributors:
            return "gap"
        return "sole" if len(self.distributors) == 1 else "overlap"


def _chain(node, parent: dict) -> list:
    """The territory and every territory above it, nearest first (a cycle in bad data stops the walk)."""
    chain = []
    while node is not None and node not in chain:
        chain.append(node)
        node = parent.get(node)
    return chain


def coverage_cells(*, on_date, territories=None, product_lines=None, coverages=None, under=None) -> dict:
    """Every leaf territory × product line with who may sell there on ``on_date`` (three queries in all).

    Leaves are the territories without children: clients sit there, and coverage of any ancestor reaches them.
    ``under`` (territory ids): only the leaves at or below one of them. Returns
    {(territory_id, product_line_id): CoverageCell}.
    """
    territories = list(territories if territories is not None else Territory.objects.all())
    product_lines = list(product_lines if product_lines is not None else ProductLine.objects.filter(active=True))
    if coverages is None:
        coverages = Coverage.objects.active_on(on_date).filter(distributor__active=True).select_related("distributor")
    parent = {t.pk: t.parent_id for t in territories}
    has_children = {t.parent_id for t in territories if t.parent_id}
    leaves = [t for t in territories if t.pk not in has_children]
    if under is not None:
        under = set(under)
        leaves = [leaf for leaf in leaves if not under.isdisjoint(_chain(leaf.pk, parent))]
    by_territory: dict[int, list] = {}
    for coverage in coverages:
        by_territory.setdefault(coverage.territory_id, []).append(coverage)
    cells = {}
    for leaf in leaves:
        applicable = defaultdict(list)  # product line id -> the coverage rows reaching this leaf, leaf first
        for node in _chain(leaf.pk, parent):
            for coverage in by_territory.get(node, ()):
                applicable[coverage.product_line_id].append(coverage)
        for line in product_lines:
            here = applicable.get(line.pk, ())
            exclusive = {c.distributor_id: c.distributor for c in here if c.exclusive}
            shared = {c.distributor_id: c.distributor for c in here if not c.exclusive}
            chosen = exclusive or shared
            cells[(leaf.pk, line.pk)] = CoverageCell(
                territory=leaf,
                product_line=line,
                distributors=sorted(chosen.values(), key=lambda d: d.code),
                exclusive=bool(exclusive),
                conflict=bool(exclusive) and (len(exclusive) > 1 or bool(set(shared) - set(exclusive))),
            )
    return cells


def coverage_matrix(*, principal, on_date, region_id=None) -> dict:
    """The coverage matrix page: rows of leaf territories (grouped by their parent), columns of product lines."""
    territories = list(Territory.objects.visible_to(principal).select_related("parent"))
    product_lines = list(ProductLine.objects.visible_to(principal).filter(active=True))
    coverages = (
        Coverage.objects.visible_to(principal).active_on(on_date).filter(distributor__active=True).select_related("distributor")
    )
    cells = coverage_cells(on_date=on_date, territories=territories, product_lines=product_lines, coverages=coverages)
    leaf_ids = {t_id for t_id, _ in cells}
    by_id = {t.pk: t for t in territories}
    regions = sorted({by_id[t].parent for t in leaf_ids if by_id[t].parent}, key=lambda r: r.name)
    rows = []
    for territory in sorted((by_id[t] for t in leaf_ids), key=lambda t: ((t.parent.name if t.parent else ""), t.name)):
        if region_id and territory.parent_id != region_id:
            continue
        rows.append({"territory": territory, "cells": [cells[(territory.pk, line.pk)] for line in product_lines]})
    presence: dict[int, list] = {}
    for item in ChannelPresence.objects.visible_to(principal).filter(territory_id__in=[r["territory"].pk for r in rows]):
        presence.setdefault(item.territory_id, []).append(item)
    for row in rows:
        row["presence"] = presence.get(row["territory"].pk, [])
    shown = [cell for row in rows for cell in row["cells"]]
    totals = {state: sum(1 for c in shown if c.state == state) for state in ("gap", "sole", "overlap", "conflict")}
    return {"product_lines": product_lines, "rows": rows, "regions": regions, "totals": totals}


def _own_cells_scope(distributor, on_date, territories, own_coverages=None) -> dict | None:
    """coverage_cells arguments for the only cells where ``distributor`` can be the sole channel: those under its
    own active coverage, for its product lines (None: it covers nothing, so it is sole nowhere).

    ``territories``: a function giving every territory (``pk`` and ``parent_id``), called only when the distributor
    covers something. Of the network's coverage, only the rows on the
    territories those cells' leaves walk up through are read: the own territories, those above them and those
    below them (issue 22: every distributor's rows on the same product lines were read, a read that grew with the
    network).

    ``own_coverages``: every coverage row of this distributor with its product line, when the caller has read them
    (the distributor page): its active rows and their active lines are taken from them, not read again."""
    if own_coverages is None:
        own = list(Coverage.objects.active_on(on_date).filter(distributor_id=_pk(distributor), distributor__active=True)
                   .values_list("territory_id", "product_line_id"))
        product_lines = ProductLine.objects.filter(active=True, pk__in={line for _territory, line in own})
    else:
        rows = [c for c in own_coverages if c.is_active_on(on_date)] if distributor.active else []
        own = [(c.territory_id, c.product_line_id) for c in rows]
        product_lines = sorted({c.product_line_id: c.product_line for c in rows if c.product_line.active}.values(),
                               key=lambda line: (line.name, line.pk))  # ProductLine's ordering
    if not own:
        return None
    lines = {line for _territory, line in own}
    under = {territory for territory, _line in own}
    parent, children = {}, defaultdict(list)
    for t in territories():
        parent[t.pk] = t.parent_id
        children[t.parent_id].append(t.pk)
    # a leaf under an own territory walks up through the territories below it, itself, and those above it
    walked, below = set(), list(under)
    while below:
        node = below.pop()
        if node not in walked:
            walked.add(node)
            below.extend(children.get(node, ()))
    for territory in under:
        walked.update(_chain(territory, parent))
    return {
        "product_lines": product_lines,
        # a cell needs each coverage's distributor only to name and order it: tuples, not two model instances a row
        "coverages": [CoverageRow(territory, line, exclusive, holder, HolderRow(holder, code))
                      for territory, line, exclusive, holder, code in Coverage.objects.active_on(on_date)
                      .filter(distributor__active=True, product_line_id__in=lines, territory_id__in=walked)
                      .order_by()  # the cells order by code
                      .values_list("territory_id", "product_line_id", "exclusive", "distributor_id",
                                   "distributor__code")],
        "under": under,
    }


def sole_channel_cells(*, distributor, on_date, own_coverages=None) -> list[CoverageCell]:
    """The leaf territory × product line cells only this distributor may sell in on ``on_date``.

    Only cells under the distributor's own coverage can be its sole ones, so only those are worked out (the
    distributor page's cost no longer grows with the whole network's territories and coverage).
    ``own_coverages``: as for ``_own_cells_scope``."""
    territories = []  # read once the distributor is known to cover something

    def every_territory():
        territories.extend(map(TerritoryRow._make, Territory.objects.order_by("name", "id")
                               .values_list(*TerritoryRow._fields)))
        return territories

    scope = _own_cells_scope(distributor, on_date, every_territory, own_coverages)
    if scope is None:
        return []
    cells = coverage_cells(on_date=on_date, territories=territories, **scope)
    return sorted(
        (c for c in cells.values() if c.state == "sole" and c.distributors[0].pk == _pk(distributor)),
        key=lambda c: (c.territory.name, c.product_line.name),
    )


def sole_channel_distributor_ids(*, on_date) -> set[int]:
    """Distributors that are the only channel in at least one cell today (for the quadrant chart and playbooks)."""
    return {c.distributors[0].pk for c in coverage_cells(on_date=on_date).values() if c.state == "sole"}


@dataclass
class SoleChannelIndex:
    """Today's sole-channel cells of the whole network, to flag distributors and coverage rows (three queries)."""

    cells: dict  # (leaf territory id, product line id) -> the one distributor id that may sell there
    ancestors: dict  # leaf territory id -> {itself and every territory above it}

    @classmethod
    def build(cls, *, on_date, distributor=None):
        """``distributor``: only the cells where that one distributor can be sole — an index that answers for it and
        its own coverage rows only (one distributor's API answer), without working out the whole network."""
        territories = list(Territory.objects.all())
        scope = {} if distributor is None else _own_cells_scope(distributor, on_date, lambda: territories)
        if scope is None:
            return cls(cells={}, ancestors={})
        cells = coverage_cells(on_date=on_date, territories=territories, **scope)
        parent = {t.pk: t.parent_id for t in territories}
        ancestors = {leaf_id: set(_chain(leaf_id, parent)) for leaf_id, _line_id in cells}
        return cls(cells={key: c.distributors[0].pk for key, c in cells.items() if c.state == "sole"},
                   ancestors=ancestors)

    @cached_property
    def sole_ids(self) -> frozenset:
        """Distributors sole somewhere: worked out once per index, not once per row of a list."""
        return frozenset(self.cells.values())

    def distributor_is_sole(self, distributor_id) -> bool:
        return distributor_id in self.sole_ids

    def coverage_is_sole(self, coverage) -> bool:
        """Whether this coverage row makes its distributor the only channel somewhere today."""
        return any(d == coverage.distributor_id and line == coverage.product_line_id
                   and coverage.territory_id in self.ancestors.get(leaf, ())
                   for (leaf, line), d in self.cells.items())


_WHOLE_NETWORK: dict = {}  # {(on_date, inputs stamp): SoleChannelIndex}: the latest one, per process


def sole_inputs_stamp() -> tuple:
    """What the whole network's sole-channel cells are worked out from, read in one statement: per input table its
    row count, latest change and highest id. Every ORM path moves one of them (save() and the audited update() and
    bulk_update() move updated_at, an insert the count and the highest id, a delete the count)."""
    quote = connection.ops.quote_name
    parts = [f"SELECT {n}, COUNT(*), MAX({quote('updated_at')}), MAX({quote(m._meta.pk.column)}) "
             f"FROM {quote(m._meta.db_table)}" for n, m in enumerate((Territory, ProductLine, Coverage, Distributor))]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return tuple(sorted(tuple(row) for row in cursor.fetchall()))


def request_stamp(request_or_none) -> tuple:
    """``sole_inputs_stamp()``, read once per request (the distributors list's count and its sole-channel flags)."""
    stamp = getattr(request_or_none, "_kc_sole_inputs_stamp", None)
    if stamp is None:
        stamp = sole_inputs_stamp()
        if request_or_none is not None:
            request_or_none._kc_sole_inputs_stamp = stamp
    return stamp


def distributor_total(request_or_none) -> int:
    """Every distributor of the network, from the request's stamp: its row of the distributors' table counts them
    all (the whole network's list answers it as its count instead of counting them again: issue 22)."""
    return next(count for n, count, _changed, _highest in request_stamp(request_or_none) if n == _STAMP_DISTRIBUTORS)


def counted_from_the_stamp(qs, *, request, filters: dict):
    """``qs`` (a list of distributors), counted from the request's stamp when it is every distributor of the network
    (a principal who sees the whole network, no filter): read for the flags anyway, one statement less."""
    if request.principal.sees_whole_network and not any(filters.values()):
        return stored_count(qs, lambda: distributor_total(request))
    return qs


_STAMP_DISTRIBUTORS = 3  # the distributors' row of sole_inputs_stamp


def _whole_network_index(on_date, stamp=None) -> SoleChannelIndex:
    """The whole network's index, built again only when its inputs changed (the distributors list flagged 50 rows
    from a fresh build of every cell on each request): one small statement instead of three and the cells."""
    key = (on_date, stamp if stamp is not None else sole_inputs_stamp())
    index = _WHOLE_NETWORK.get(key)
    if index is None:
        index = SoleChannelIndex.build(on_date=on_date)
        _WHOLE_NETWORK.clear()
        _WHOLE_NETWORK[key] = index
    return index


def sole_channel_index(request_or_none=None, *, on_date=None, distributor=None) -> SoleChannelIndex:
    """One index per request (API schemas resolve a flag per row from it); ``distributor``: a request that answers
    about that one distributor only (SoleChannelIndex.build)."""
    holder = request_or_none
    index = getattr(holder, "_kc_sole_channel_index", None) if holder is not None else None
    if index is None:
        on_date = on_date or timezone.localdate()
        index = (_whole_network_index(on_date, request_stamp(holder)) if distributor is None
                 else SoleChannelIndex.build(on_date=on_date, distributor=distributor))
        if holder is not None:
            holder._kc_sole_channel_index = index
    return index


def coverage_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Coverage.objects.visible_to(principal).select_related("distributor", "territory", "product_line")
    for name in ("distributor_id", "territory_id", "product_line_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if on_date := filters.get("on_date"):
        qs = qs.active_on(on_date)
    if (exclusive := filters.get("exclusive")) is not None:
        qs = qs.filter(exclusive=exclusive)
    return qs


# --- playbooks and the distributor page -------------------------------------------------------------------------


def playbook_list(*, principal):
    return Playbook.objects.visible_to(principal)


def playbook_for(*, principal, distributor, sole_channel: bool):
    """The playbook of the distributor's quadrant; its sole-channel variant where it is the only channel somewhere."""
    candidates = {p.sole_channel: p for p in Playbook.objects.visible_to(principal).filter(quadrant=distributor.alignment_quadrant)}
    return (candidates.get(True) if sole_channel else None) or candidates.get(False)


# --- readiness --------------------------------------------------------------------------------------------------


def readiness_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = (
        ReadinessAssessment.objects.visible_to(principal)
        .select_related("distributor", "questionnaire", "assessed_by")
        .prefetch_related("answers__question")
    )
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if since := filters.get("since"):
        qs = qs.filter(assessed_on__gte=since)
    return qs


def latest_readiness_score(distributor) -> int | None:
    """The score of the distributor's most recent assessment (None: never assessed). Unscoped, like the rules."""
    return (
        ReadinessAssessment.objects.filter(distributor_id=_pk(distributor))
        .order_by("-assessed_on", "-id")
        .values_list("score", flat=True)
        .first()
    )


def latest_readiness_by_distributor(*, principal, distributor_ids) -> dict[int, tuple]:
    """{distributor_id: (score, assessed_on)} of each distributor's most recent assessment: one query."""
    rows = (ReadinessAssessment.objects.visible_to(principal).filter(distributor_id__in=list(distributor_ids))
            .order_by("distributor_id", "-assessed_on", "-id").values_list("distributor_id", "score", "assessed_on"))
    latest: dict[int, tuple] = {}
    for distributor_id, score, assessed_on in rows:
        latest.setdefault(distributor_id, (score, assessed_on))
    return latest


def action_item_list(*, principal, assessment_ids):
    return (
        ActionItem.objects.visible_to(principal)
        .filter(assessment_id__in=list(assessment_ids))
        .select_related("owner", "assessment")
    )


def active_questionnaire():
    return ReadinessQuestionnaire.objects.filter(active=True).order_by("-version").prefetch_related("questions").first()


# --- reviews ----------------------------------------------------------------------------------------------------


def review_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = ComplianceReview.objects.visible_to(principal).select_related("distributor", "reviewer")
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    return qs

"""Reads of the network app, always through visible_to."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import ChannelPresence, Coverage, Distributor, Playbook, ProductLine, Territory


def distributors_managed_by(principal):
    return Distributor.objects.filter(channel_manager_id=principal.user_id).values_list("id", flat=True)


def distributors_of_organization(principal):
    return Distributor.objects.filter(organization_id=principal.organization_id).values_list("id", flat=True)


def distributor_count(principal):
    return Distributor.objects.visible_to(principal).count()


def distributor_list(*, principal, filters: dict | None = None):
    """Distributors the principal may see, with what list pages and the API show, in a fixed number of queries."""
    filters = filters or {}
    qs = (
        Distributor.objects.visible_to(principal)
        .select_related("territory", "channel_manager", "organization")
        .prefetch_related("product_lines")
    )
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(legal_name__icontains=q) | Q(code__icontains=q) | Q(tax_id__icontains=q) | Q(city__icontains=q))
    for name in ("size_tier", "contract_strength", "stance", "shares_goals", "shares_methods"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if territory_id := filters.get("territory_id"):
        qs = qs.filter(territory_id=territory_id)
    if channel_manager_id := filters.get("channel_manager_id"):
        qs = qs.filter(channel_manager_id=channel_manager_id)
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


def coverage_cells(*, on_date, territories=None, product_lines=None, coverages=None) -> dict:
    """Every leaf territory × product line with who may sell there on ``on_date`` (three queries in all).

    Leaves are the territories without children: clients sit there, and coverage of any ancestor reaches them.
    Returns {(territory_id, product_line_id): CoverageCell}.
    """
    territories = list(territories if territories is not None else Territory.objects.all())
    product_lines = list(product_lines if product_lines is not None else ProductLine.objects.filter(active=True))
    if coverages is None:
        coverages = Coverage.objects.active_on(on_date).filter(distributor__active=True).select_related("distributor")
    parent = {t.pk: t.parent_id for t in territories}
    has_children = {t.parent_id for t in territories if t.parent_id}
    leaves = [t for t in territories if t.pk not in has_children]
    by_territory: dict[int, list] = {}
    for coverage in coverages:
        by_territory.setdefault(coverage.territory_id, []).append(coverage)
    cells = {}
    for leaf in leaves:
        applicable = []
        node, seen = leaf.pk, set()
        while node is not None and node not in seen:
            seen.add(node)
            applicable.extend(by_territory.get(node, []))
            node = parent.get(node)
        for line in product_lines:
            here = [c for c in applicable if c.product_line_id == line.pk]
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


def sole_channel_cells(*, distributor, on_date) -> list[CoverageCell]:
    """The leaf territory × product line cells only this distributor may sell in on ``on_date``."""
    cells = coverage_cells(on_date=on_date, territories=Territory.objects.all())
    return sorted(
        (c for c in cells.values() if c.state == "sole" and c.distributors[0].pk == _pk(distributor)),
        key=lambda c: (c.territory.name, c.product_line.name),
    )


def sole_channel_distributor_ids(*, on_date) -> set[int]:
    """Distributors that are the only channel in at least one cell today (for the quadrant chart and playbooks)."""
    return {c.distributors[0].pk for c in coverage_cells(on_date=on_date).values() if c.state == "sole"}


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


def distributor_overview(*, principal, distributor, on_date) -> dict:
    """What the distributor page shows beyond the profile, each part only where the principal may see it."""
    coverages = list(
        coverage_list(principal=principal, filters={"distributor_id": distributor.pk}).order_by(
            "-valid_from", "territory__name", "product_line__name"
        )
    )
    for coverage in coverages:
        coverage.active_today = coverage.is_active_on(on_date)
    sole = sole_channel_cells(distributor=distributor, on_date=on_date)
    return {
        "coverages": coverages,
        "sole_cells": sole,
        "playbook": playbook_for(principal=principal, distributor=distributor, sole_channel=bool(sole)),
    }

"""Reads of the network app, always through visible_to."""

from django.db.models import Count, Q

from .models import Distributor, ProductLine, Territory


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

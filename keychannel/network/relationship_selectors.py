"""Reads of the network's people, the relationships between ours and theirs, and their health (stale, missing top level, one-sided)."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from keychannel.core.redaction import redacted

from .choices import PERSON_TIER, ContractStrength, RelationshipLevel, Severity
from .models import (
    Distributor,
    DistributorPerson,
    Interaction,
    Relationship,
)

# --- people, relationships and their health ---------------------------------------------------------------------

DEFAULT_STALE_DAYS = 180


def stale_days_setting() -> int:
    """How old a relationship's last interaction may be before it counts as stale (KEYCHANNEL_RELATIONSHIP_STALE_DAYS)."""
    import os

    from django.conf import settings

    value = getattr(settings, "RELATIONSHIP_STALE_DAYS", None) or os.environ.get("KEYCHANNEL_RELATIONSHIP_STALE_DAYS")
    try:
        return max(1, int(value)) if value else DEFAULT_STALE_DAYS
    except ValueError:
        return DEFAULT_STALE_DAYS


def person_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = DistributorPerson.objects.visible_to(principal).select_related("distributor")
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    if level := filters.get("level"):
        qs = qs.filter(level=level)
    if (active := filters.get("active")) is not None:
        qs = qs.filter(active=active)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(full_name__icontains=q) | Q(title__icontains=q))
    return qs


def relationship_list(*, principal, filters: dict | None = None):
    """Relationships in reach; their strength and note (network/redaction.py) come back None for distributor users."""
    filters = filters or {}
    qs = redacted(
        Relationship.objects.visible_to(principal)
        .select_related("person__distributor", "manufacturer_user")
        .annotate(interaction_total=Count("interactions")),
        principal,
    )
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(person__distributor_id=distributor_id)
    if person_id := filters.get("person_id"):
        qs = qs.filter(person_id=person_id)
    if user_id := filters.get("manufacturer_user_id"):
        qs = qs.filter(manufacturer_user_id=user_id)
    if (active := filters.get("active")) is not None:
        qs = qs.filter(active=active)
    return qs


def interaction_list(*, principal, relationship_ids):
    return (
        Interaction.objects.visible_to(principal)
        .filter(relationship_id__in=list(relationship_ids))
        .select_related("recorded_by", "relationship__person", "relationship__manufacturer_user")
    )


ESCALATE = {Severity.LOW: Severity.MEDIUM, Severity.MEDIUM: Severity.HIGH, Severity.HIGH: Severity.HIGH}
SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


@dataclass(frozen=True, slots=True)
class DistributorRef:
    """What the cockpit's relationship panels need of a distributor (``light``): no model instance per row."""

    pk: int
    code: str
    legal_name: str
    contract_strength: str


@dataclass(frozen=True, slots=True)
class PersonRef:
    active: bool


@dataclass(frozen=True, slots=True)
class RelationshipRef:
    """What :func:`relationship_health` reads of a relationship and its person, from one values() row (the cockpit
    reads them with their distributors in one statement, no model instance per row)."""

    active: bool
    last_interaction: date | None
    pairing: tuple[str, str]
    person: PersonRef

    # The columns of a Relationship row :meth:`from_row` takes, in order.
    FIELDS = ("active", "last_interaction", "manufacturer_level", "person__level", "person__active")

    @classmethod
    def from_row(cls, active, last_interaction, manufacturer_level, person_level, person_active) -> "RelationshipRef":
        return cls(active, last_interaction, (manufacturer_level, PERSON_TIER[person_level]), PersonRef(person_active))


@dataclass
class HealthFlag:
    code: str
    severity: str
    message: str

    def get_severity_display(self) -> str:
        return str(Severity(self.severity).label)


def relationship_health(*, distributor, relationships, on_date, stale_days: int | None = None) -> list[HealthFlag]:
    """Flags for a distributor's relationships (pass its relationships, with their people).

    - no top ↔ top pairing (medium), no middle ↔ middle pairing (low),
    - no relationship at all, or only stale ones — last interaction older than ``stale_days`` (medium).
    A weak contract must be compensated by relationships, so each flag is one level more urgent there.
    """
    stale_days = stale_days or stale_days_setting()
    active = [r for r in relationships if r.active and r.person.active]
    pairings = {r.pairing for r in active}
    flags = []
    if not active:
        flags.append(HealthFlag("no_relationships", Severity.MEDIUM, _("Nobody on our side has a relationship here.")))
    else:
        if (RelationshipLevel.TOP, RelationshipLevel.TOP) not in pairings:
            flags.append(HealthFlag("no_top_pairing", Severity.MEDIUM, _("No top ↔ top relationship.")))
        if (RelationshipLevel.MIDDLE, RelationshipLevel.MIDDLE) not in pairings:
            flags.append(HealthFlag("no_middle_pairing", Severity.LOW, _("No middle ↔ middle relationship.")))
        limit = on_date - timedelta(days=stale_days)
        if all(r.last_interaction is None or r.last_interaction < limit for r in active):
            flags.append(HealthFlag(
                "only_stale", Severity.MEDIUM,
                _("No contact in the last %(days)d days in any relationship.") % {"days": stale_days},
            ))
    if distributor.contract_strength == ContractStrength.WEAK:
        for flag in flags:
            flag.severity = ESCALATE[flag.severity]
    return sorted(flags, key=lambda f: SEVERITY_ORDER[f.severity])


def relationship_health_overview(*, principal, on_date, stale_days: int | None = None, light: bool = False) -> list[dict]:
    """Every distributor the principal reaches with its relationship flags, most urgent first (three queries).
    ``light``: the distributors carry only what the flags and a link need (the cockpit), not their channel manager."""
    stale_days = stale_days or stale_days_setting()  # read once, not per distributor
    distributors = Distributor.objects.visible_to(principal).filter(active=True)
    distributors = ([DistributorRef(*row) for row in distributors.order_by("code").values_list(*DistributorRef.__slots__)]
                    if light else list(distributors.select_related("channel_manager")))
    if principal.distributor_ids is not None:
        distributors = [d for d in distributors if d.pk in principal.distributor_ids]
    by_distributor: dict[int, list] = {}
    for relationship in Relationship.objects.visible_to(principal).select_related("person"):
        by_distributor.setdefault(relationship.person.distributor_id, []).append(relationship)
    # Without relationships the flags depend only on the contract's strength: worked out once per strength (most of
    # a large network has none), each row getting its own copies.
    alone: dict[str, list[HealthFlag]] = {}
    rows = []
    for distributor in distributors:
        mine = by_distributor.get(distributor.pk, [])
        if mine:
            flags = relationship_health(distributor=distributor, relationships=mine, on_date=on_date,
                                        stale_days=stale_days)
        else:
            if distributor.contract_strength not in alone:
                alone[distributor.contract_strength] = relationship_health(
                    distributor=distributor, relationships=[], on_date=on_date, stale_days=stale_days)
            flags = [replace(flag) for flag in alone[distributor.contract_strength]]
        rows.append({"distributor": distributor, "flags": flags, "relationship_total": len(mine)})
    rows.sort(key=lambda r: (min((SEVERITY_ORDER[f.severity] for f in r["flags"]), default=9), r["distributor"].code))
    return rows


MAP_ROW = 40  # vertical distance between two people of one level on the relationship map
MAP_TIER_GAP = 40  # extra space between two levels


def relationship_map(*, distributor, people, relationships, on_date, stale_days: int | None = None) -> dict:
    """Nodes and links for the relationship map: our people on the left (names to their left), the distributor's
    on the right (names to their right), by level — each level a band as tall as its longer side, so a level with
    many people never runs into the next. ``categories`` name the two sides for the chart's legend."""
    stale_days = stale_days or stale_days_setting()
    limit = on_date - timedelta(days=stale_days)
    tiers = [RelationshipLevel.TOP, RelationshipLevel.MIDDLE, RelationshipLevel.OPERATIONAL]
    ours: dict[int, dict] = {}
    for r in relationships:
        user = r.manufacturer_user
        ours.setdefault(user.pk, {"id": f"u{user.pk}", "name": user.get_full_name() or user.get_username(),
                                  "side": "manufacturer", "category": 0, "label_position": "left",
                                  "tier": r.manufacturer_level})
        if tiers.index(r.manufacturer_level) < tiers.index(ours[user.pk]["tier"]):
            ours[user.pk]["tier"] = r.manufacturer_level
    theirs = [{"id": f"p{p.pk}", "name": p.full_name, "side": "distributor", "category": 1, "label_position": "right",
               "tier": p.tier, "level": str(p.get_level_display()), "active": p.active} for p in people]
    our_nodes = list(ours.values())
    top = 0
    bands = []
    for tier in tiers:
        rows = [sorted((n for n in nodes if n["tier"] == tier), key=lambda n: n["name"]) for nodes in (our_nodes, theirs)]
        for x, row in zip((0, 400), rows, strict=True):
            for i, node in enumerate(row):
                node["x"], node["y"] = x, top + i * MAP_ROW
                node["tier_label"] = str(RelationshipLevel(tier).label)
        height = max(len(rows[0]), len(rows[1]), 1) * MAP_ROW
        bands.append({"tier": tier, "label": str(RelationshipLevel(tier).label), "top": top, "bottom": top + height - MAP_ROW})
        top += height + MAP_TIER_GAP
    links = [
        {
            "source": f"u{r.manufacturer_user_id}",
            "target": f"p{r.person_id}",
            "strength": r.strength,
            "stale": r.last_interaction is None or r.last_interaction < limit,
            "active": r.active,
            "pairing": r.get_pairing_display(),
            "last": r.last_interaction.isoformat() if r.last_interaction else "",
        }
        for r in relationships
    ]
    return {
        "nodes": our_nodes + theirs, "links": links, "bands": bands,
        "categories": [{"name": str(_("Our people"))}, {"name": str(_("People of %(distributor)s") % {
            "distributor": distributor.code})}],
    }

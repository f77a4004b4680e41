"""Cockpit panels of the network app (registered in apps.py; docs/cockpits.md).

Reads like selectors.py (which is near its size limit): relationship health is manufacturer-internal, so these
panels are registered for manufacturer roles only.

A distributor nobody on our side has a relationship with gets the same flags as every other one of its contract's
strength ("nobody has a relationship here", one level more urgent on a weak contract). Most of a large network has
none, so the cockpit works out flags only for the distributors that have relationships and reads the others from
the database: the first of them in the panel's order and how many there are (issue 22: the 2,000 distributors of
the full network were read, flagged and sorted on every home page of the program manager, executive and channel
manager).
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Value, When, Window
from django.utils.translation import gettext as _

from keychannel.core.cockpit import PANEL_LIMIT, CockpitItem, attention_for, item_url, limited
from keychannel.core.scoping import IdSet, in_lookup

from .choices import ContractStrength
from .models import Distributor, Relationship
from .relationship_selectors import (
    SEVERITY_ORDER,
    DistributorRef,
    RelationshipRef,
    relationship_health,
    stale_days_setting,
)

# Flags that mean "the top-level relationship needs a visit": no top pairing, or nothing recent at all.
STALE_CODES = {"no_top_pairing", "only_stale", "no_relationships"}
SEVERITY_TONE = {"high": "danger", "medium": "warning", "low": "secondary"}


def _reached(principal):
    """The active distributors whose relationship health the principal reads (relationship_health_overview's)."""
    qs = Distributor.objects.visible_to(principal).filter(active=True)
    if principal.distributor_ids is not None:
        qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
    return qs


def _rank(row) -> tuple:
    return min((SEVERITY_ORDER[f.severity] for f in row["flags"]), default=9), row["distributor"].code


def _health(principal, today) -> dict:
    """Health of the distributors with relationships (``rows``: distributor, flags) and the ids among them, read once
    per request (two panels of a channel manager's home read it)."""
    key = ("network.health", today)
    if key not in principal._cache:
        stale_days = stale_days_setting()
        # One statement of plain rows: each relationship with its person's level and its distributor, in code order.
        # (Before: model instances of every visible relationship and their people, then a second statement for
        # their distributors.) Only reached distributors' relationships: the ids of others were never shown or
        # counted (the sources narrow to reached distributors).
        read = (Relationship.objects.visible_to(principal).filter(person__distributor__in=_reached(principal))
                .order_by("person__distributor__code", "pk")
                .values_list(*(f"person__distributor__{f}" if f != "pk" else "person__distributor_id"
                               for f in DistributorRef.__slots__), *RelationshipRef.FIELDS))
        width = len(DistributorRef.__slots__)
        by_distributor: dict[int, tuple[DistributorRef, list]] = {}
        for row in read:
            ref, relationships = by_distributor.setdefault(row[0], (DistributorRef(*row[:width]), []))
            relationships.append(RelationshipRef.from_row(*row[width:]))
        rows = [{"distributor": ref, "flags": relationship_health(
            distributor=ref, relationships=relationships, on_date=today, stale_days=stale_days)}
            for ref, relationships in by_distributor.values()]
        principal._cache[key] = {"rows": rows, "ids": set(by_distributor), "stale_days": stale_days}
    return principal._cache[key]


def _alone_first(principal, health, today) -> tuple[list[dict], int]:
    """The first PANEL_LIMIT distributors without relationships in the panel's order (a weak contract's flag is
    high, the others' medium; then by code) with their flags, and how many there are: one statement."""
    weak_first = Case(When(contract_strength=ContractStrength.WEAK, then=Value(0)), default=Value(1),
                      output_field=IntegerField())
    alone = (_reached(principal).exclude(pk__in=list(health["ids"]))
             .annotate(total=Window(Count("pk")), weak_first=weak_first).order_by("weak_first", "code")
             .values_list(*DistributorRef.__slots__, "total")[:PANEL_LIMIT])
    rows = []
    for row in (read := list(alone)):
        ref = DistributorRef(*row[:-1])
        rows.append({"distributor": ref, "flags": relationship_health(
            distributor=ref, relationships=[], on_date=today, stale_days=health["stale_days"])})
    return rows, read[0][-1] if read else 0


def relationship_flags(principal, today):
    """Distributors whose relationships are missing at the top or have gone stale, the most urgent first."""
    health = _health(principal, today)
    flagged = [r for r in health["rows"] if r["flags"]]
    alone, alone_total = _alone_first(principal, health, today)  # every one of them is flagged
    rows = sorted(flagged + alone, key=_rank)[:PANEL_LIMIT]
    items = []
    for row in rows:
        worst = min(row["flags"], key=lambda f: SEVERITY_ORDER[f.severity])
        items.append(CockpitItem(
            label=row["distributor"].legal_name, url=item_url("network:distributor_detail", row["distributor"].pk),
            detail=" ".join(str(f.message) for f in row["flags"]), badge=worst.get_severity_display(),
            tone=SEVERITY_TONE.get(str(worst.severity), "secondary")))
    return limited(items, len(flagged) + alone_total)


def attention_stale_relationships(principal, distributor_ids, today) -> dict[int, int]:
    health = _health(principal, today)
    counts = {}
    for row in health["rows"]:
        if row["distributor"].pk in distributor_ids:
            n = sum(1 for f in row["flags"] if f.code in STALE_CODES)
            if n:
                counts[row["distributor"].pk] = n
    # Without a relationship a distributor's one stale flag is "nobody has a relationship here". The ids are
    # active distributors the principal sees (attention_for's contract), so _reached narrows them only by reach,
    # which the principal holds: no statement reads the ~950 of a channel manager's distributors a second time.
    alone = (pk for pk in distributor_ids if pk not in health["ids"] and principal.reaches(pk))
    counts.update(dict.fromkeys(alone, 1))
    return counts


def my_distributors(principal, today):
    """A channel manager's own distributors, ranked by the attention they need (every app's sources)."""
    mine = Distributor.objects.visible_to(principal).filter(channel_manager_id=principal.user_id, active=True)
    # Plain rows, not model instances: a channel manager has ~1,000 distributors and only PANEL_LIMIT are shown.
    distributors = list(mine.order_by("code").values_list("pk", "code", "legal_name"))
    ids = IdSet(pk for pk, _code, _name in distributors)
    ids.query = mine.values("pk")  # the sources' statements select these by subquery, not by 1,000 literal ids
    attention = attention_for(principal, ids, today)
    distributors.sort(key=lambda d: (-attention[d[0]]["score"], d[1]))
    items = []
    for pk, _code, legal_name in distributors[:PANEL_LIMIT]:  # the panel lists these; the rest are counted
        row = attention[pk]
        reasons = " · ".join(f"{r['label']}: {r['count']}" for r in row["reasons"])
        items.append(CockpitItem(
            label=legal_name, url=item_url("network:distributor_detail", pk),
            detail=reasons or _("Nothing needs you here today."),
            badge=str(row["score"]) if row["score"] else _("all clear"),
            tone="danger" if row["score"] >= 5 else "warning" if row["score"] else "success"))
    return limited(items, len(distributors))

"""Cockpit panels of the network app (registered in apps.py; docs/cockpits.md).

Reads like selectors.py (which is near its size limit): relationship health is manufacturer-internal, so these
panels are registered for manufacturer roles only.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from keychannel.core.cockpit import PANEL_LIMIT, CockpitItem, attention_for, item_url, limited
from keychannel.core.scoping import IdSet

from .models import Distributor
from .selectors import SEVERITY_ORDER, relationship_health_overview

# Flags that mean "the top-level relationship needs a visit": no top pairing, or nothing recent at all.
STALE_CODES = {"no_top_pairing", "only_stale", "no_relationships"}
SEVERITY_TONE = {"high": "danger", "medium": "warning", "low": "secondary"}


def _health(principal, today) -> list[dict]:
    """The relationship-health overview, computed once per request (two panels of one home page read it)."""
    key = ("network.health", today)
    if key not in principal._cache:
        principal._cache[key] = relationship_health_overview(principal=principal, on_date=today, light=True)
    return principal._cache[key]


def relationship_flags(principal, today):
    """Distributors whose relationships are missing at the top or have gone stale, the most urgent first."""
    rows = [r for r in _health(principal, today) if r["flags"]]
    total = len(rows)
    rows = rows[:PANEL_LIMIT]
    items = []
    for row in rows:
        worst = min(row["flags"], key=lambda f: SEVERITY_ORDER[f.severity])
        items.append(CockpitItem(
            label=row["distributor"].legal_name, url=item_url("network:distributor_detail", row["distributor"].pk),
            detail=" ".join(str(f.message) for f in row["flags"]), badge=worst.get_severity_display(),
            tone=SEVERITY_TONE.get(str(worst.severity), "secondary")))
    return limited(items, total)


def attention_stale_relationships(principal, distributor_ids, today) -> dict[int, int]:
    counts = {}
    for row in _health(principal, today):
        if row["distributor"].pk in distributor_ids:
            n = sum(1 for f in row["flags"] if f.code in STALE_CODES)
            if n:
                counts[row["distributor"].pk] = n
    return counts


def my_distributors(principal, today):
    """A channel manager's own distributors, ranked by the attention they need (every app's sources)."""
    mine = Distributor.objects.visible_to(principal).filter(channel_manager_id=principal.user_id, active=True)
    distributors = list(mine.order_by("code").only("pk", "code", "legal_name"))
    ids = IdSet(d.pk for d in distributors)
    ids.query = mine.values("pk")  # the sources' statements select these by subquery, not by 1,000 literal ids
    attention = attention_for(principal, ids, today)
    distributors.sort(key=lambda d: (-attention[d.pk]["score"], d.code))
    items = []
    for d in distributors[:PANEL_LIMIT]:  # the panel lists these; the rest are counted
        row = attention[d.pk]
        reasons = " · ".join(f"{r['label']}: {r['count']}" for r in row["reasons"])
        items.append(CockpitItem(
            label=d.legal_name, url=item_url("network:distributor_detail", d.pk),
            detail=reasons or _("Nothing needs you here today."),
            badge=str(row["score"]) if row["score"] else _("all clear"),
            tone="danger" if row["score"] >= 5 else "warning" if row["score"] else "success"))
    return limited(items, len(distributors))

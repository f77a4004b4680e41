"""The deals app's source of the global search (core/search.py): opportunities by title."""

from __future__ import annotations

from keychannel.core.search import SearchHit, ranked

from .models import Opportunity


def find_deals(principal, query, limit):
    """Deals the principal may see (``visible_to``: reach, mentor and KAM, out-of-scope grace), by title (a
    trigram index on ``kc_fold(title)`` on PostgreSQL)."""
    qs = Opportunity.objects.visible_to(principal).select_related("client", "distributor")
    hits = []
    for deal, score in ranked(qs, query, fields=["title"], limit=limit):
        parts = [deal.client.legal_name, deal.get_stage_display(), deal.distributor.code if deal.distributor else ""]
        hits.append(SearchHit(deal.title, deal.get_absolute_url(), " · ".join(p for p in parts if p), score))
    return hits

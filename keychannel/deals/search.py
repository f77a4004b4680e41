"""The deals app's source of the global search (core/search.py): opportunities by title."""

from __future__ import annotations

from keychannel.core.search import SearchBranch, SearchHit

from .models import Opportunity


def _deal_hit(row):
    deal = row.record(Opportunity)
    parts = [row["client_name"], deal.get_stage_display(), row["distributor_code"]]
    return SearchHit(deal.title, deal.get_absolute_url(), " · ".join(p for p in parts if p))


def find_deals(principal, query):
    """Deals the principal may see (``visible_to``: reach, mentor and KAM, out-of-scope grace), by title (a
    trigram index on ``kc_fold(title)`` on PostgreSQL)."""
    return SearchBranch(Opportunity.objects.visible_to(principal), fields=["title"], stored_folds=["title"],
                        hit=_deal_hit, bounded=True,
                        values={"title": "title", "stage": "stage", "client_name": "client__legal_name",
                                "distributor_code": "distributor__code"})

"""The clients app's sources of the global search (core/search.py): clients and stakeholders."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from keychannel.core.search import SearchHit, ranked

from .matching import normalize_company_name, normalize_tax_id
from .models import CorporateClient, Stakeholder


def _exact(raw: str) -> Q | None:
    """The client code (any case) or the tax id (with or without RO): a match scores 1."""
    condition = Q(code__iexact=raw)
    tax = normalize_tax_id(raw)
    if len(tax) >= 4 and tax == "".join(ch for ch in raw.upper().removeprefix("RO") if ch.isalnum()):
        condition |= Q(tax_id__startswith=tax)
    return condition


def find_clients(principal, query, limit):
    """Clients the principal may see (archived ones too, marked): the normalised name (its trigram index on
    PostgreSQL, migration 0006), the code and the tax id."""
    qs = CorporateClient.objects.visible_to(principal).select_related("distributor")
    rows = ranked(qs, query, fields=["normalized_name"], folded_fields=["normalized_name"],
                  prepared=normalize_company_name(query.raw), exact=_exact(query.raw), limit=limit)
    hits = []
    for client, score in rows:
        parts = [client.tax_id, client.city, client.distributor.code if client.distributor else _("direct")]
        if client.archived_at:
            parts.append(_("archived"))
        hits.append(SearchHit(client.legal_name, client.get_absolute_url(), " · ".join(p for p in parts if p), score))
    return hits


def find_stakeholders(principal, query, limit):
    """People of the visible clients' buying centres, by name (a trigram index on ``kc_fold(full_name)``)."""
    qs = Stakeholder.objects.visible_to(principal).select_related("client")
    return [
        SearchHit(s.full_name, s.get_absolute_url(), " · ".join(p for p in (s.job_title, s.client.legal_name) if p), score)
        for s, score in ranked(qs, query, fields=["full_name"], limit=limit)
    ]

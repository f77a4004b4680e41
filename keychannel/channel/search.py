"""The channel app's sources of the global search (core/search.py): deal registrations and conflicts.

A party sees a registration or a conflict under the client name it was registered with, never the client record
behind it (channel/redaction.py): for distributor users only that name and the deal's title are searched; the
manufacturer also finds them by the client record's current name."""

from __future__ import annotations

from keychannel.core.search import SearchHit, ranked

from .models import Conflict, DealRegistration


def find_registrations(principal, query, limit):
    qs = DealRegistration.objects.visible_to(principal).select_related("distributor")
    fields = ["title", "client_name"] + (["client__normalized_name"] if principal.is_manufacturer else [])
    hits = []
    for registration, score in ranked(qs, query, fields=fields, folded_fields=["client__normalized_name"], limit=limit):
        parts = [registration.client_name, registration.get_status_display(), registration.distributor.code]
        hits.append(SearchHit(registration.title, registration.get_absolute_url(), " · ".join(p for p in parts if p),
                              score))
    return hits


def find_conflicts(principal, query, limit):
    """Conflicts the principal may see (``visible_to``: a party's own), by the client name and what the check
    found (the conflict list's search), and for the manufacturer by the client record's name."""
    qs = Conflict.objects.visible_to(principal)
    fields = ["client_name"] + (["client__normalized_name"] if principal.is_manufacturer else [])
    hits = []
    for conflict, score in ranked(qs, query, fields=fields, text_fields=["reason"],
                                  folded_fields=["client__normalized_name"], limit=limit):
        parts = [conflict.get_kind_display(), conflict.get_status_display()]
        hits.append(SearchHit(conflict.client_name, conflict.get_absolute_url(), " · ".join(str(p) for p in parts if p),
                              score))
    return hits

"""The channel app's sources of the global search (core/search.py): deal registrations and conflicts.

A party sees a registration or a conflict under the client name it was registered with, never the client record
behind it (channel/redaction.py): for distributor users only that name and the deal's title are searched; the
manufacturer also finds them by the client record's current name."""

from __future__ import annotations

from keychannel.core.search import SearchBranch, SearchHit

from .models import Conflict, DealRegistration


def _registration_hit(row):
    registration = row.record(DealRegistration)
    parts = [registration.client_name, registration.get_status_display(), row["distributor_code"]]
    return SearchHit(registration.title, registration.get_absolute_url(), " · ".join(p for p in parts if p))


def find_registrations(principal, query):
    fields = ["title", "client_name"] + (["client__normalized_name"] if principal.is_manufacturer else [])
    return SearchBranch(DealRegistration.objects.visible_to(principal), fields=fields,
                        folded_fields=["client__normalized_name"], stored_folds=["title", "client_name"],
                        hit=_registration_hit,
                        values={"title": "title", "client_name": "client_name", "status": "status",
                                "distributor_code": "distributor__code"})


def _conflict_hit(row):
    conflict = row.record(Conflict)
    parts = [conflict.get_kind_display(), conflict.get_status_display()]
    return SearchHit(conflict.client_name, conflict.get_absolute_url(), " · ".join(str(p) for p in parts if p))


def find_conflicts(principal, query):
    """Conflicts the principal may see (``visible_to``: a party's own), by the client name and what the check
    found (the conflict list's search), and for the manufacturer by the client record's name."""
    fields = ["client_name"] + (["client__normalized_name"] if principal.is_manufacturer else [])
    return SearchBranch(Conflict.objects.visible_to(principal), fields=fields, text_fields=["reason"],
                        folded_fields=["client__normalized_name"], stored_folds=["client_name"], hit=_conflict_hit,
                        values={"client_name": "client_name", "kind": "kind", "status": "status"})

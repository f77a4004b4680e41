"""The API's registrations list as value rows (issue 22): the page's columns read as dicts, not records.

A page of 50 registrations built 50 ``DealRegistration`` records (each through the model's init and its signals)
for ``RegistrationOut`` to read back plain columns: 3.1× a bare /me at full size. The rows here carry the same
values: the status as of today by the model's own rule (``models.effective_registration_status``), the failed
checks as stored, the product lines' ids from ``core.api_rows.with_related_ids`` (one statement after the page).
No field of a registration is hidden from anyone who may list it (``channel/redaction.py`` declares the conflict's
only; no ``register_history_redaction`` for registrations): the scope is the selector's.
"""

from __future__ import annotations

from django.db.models.query import ValuesIterable
from django.utils import timezone

from keychannel.core.api_rows import with_related_ids

from .models import effective_registration_status
from .selectors import registration_list

# What RegistrationOut reads of a registration (``effective_status`` is added per row), and the change time: a
# cursor of the list followed by ``updated_since`` is made of it (core.keyset reads a value row's keys).
COLUMNS = ("id", "distributor_id", "client_name", "title", "estimated_value", "expected_close_on", "notes", "status",
           "holds_claim", "on_behalf", "registered_by_id", "submitted_on", "checks", "protected_until", "extensions",
           "decided_at", "decided_by_id", "decision_reason", "updated_at")


class RegistrationRows(ValuesIterable):
    def __iter__(self):
        today = timezone.localdate()  # once a page: a record asked for it per row
        for row in super().__iter__():
            row["effective_status"] = effective_registration_status(row["status"], row["protected_until"], today)
            yield row


def registration_api_list(*, principal, filters: dict | None = None):
    """``selectors.registration_list`` (its scope and filters) as the API list's value rows."""
    qs = registration_list(principal=principal, filters=filters).select_related(None).prefetch_related(None)
    qs = qs.values(*COLUMNS)
    qs._iterable_class = RegistrationRows
    return with_related_ids(qs, "product_lines")

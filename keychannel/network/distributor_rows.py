"""The API's distributors list as value rows (issue 22): the page's columns read as dicts, not records.

A page of 50 distributors built 50 ``Distributor`` and 50 ``User`` records (each through the model's init and its
signals) and redacted each one, for ``DistributorOut`` to read back a few plain columns: about a fifth of the
list's Python. The rows here carry the same values, the manufacturer's internal assessment blanked as
``core.redaction`` blanks it on records (``network/redaction.py`` decides which fields), the channel manager nested
as ``UserRefOut`` reads it (``core.api_rows.user_ref``), the quadrant by the model's own rule, and the product lines' ids from
``core.api_rows.with_related_ids`` (one statement after the page).
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.query import ValuesIterable

from keychannel.core.api_rows import user_ref, with_related_ids

from .models import alignment_quadrant
from .redaction import distributor_hidden_fields
from .selectors import distributor_list

# A row's own columns, and of its channel manager what UserRefOut answers.
COLUMNS = ("id", "code", "legal_name", "tax_id", "external_id", "territory_id", "kind", "city", "website", "about",
           "size_tier", "annual_revenue", "employees", "contract_strength", "stance", "shares_goals", "shares_methods",
           "channel_manager_id", "contract_start", "active",
           "updated_at")  # not answered: a cursor of ?updated_since= is made of it
MANAGER = {"manager_username": "channel_manager__username", "manager_first_name": "channel_manager__first_name",
           "manager_last_name": "channel_manager__last_name"}


def distributor_api_list(*, principal, filters: dict | None = None):
    """``selectors.distributor_list`` (its scope and filters) as the API list's value rows."""
    qs = distributor_list(principal=principal, filters=filters).select_related(None).prefetch_related(None)
    qs = qs.values(*COLUMNS, **{key: F(path) for key, path in MANAGER.items()})
    qs._iterable_class = _rows_for(frozenset(distributor_hidden_fields(principal, None)))
    return with_related_ids(qs, "product_lines")


def _rows_for(hidden: frozenset):
    class DistributorRows(ValuesIterable):
        def __iter__(self):
            for row in super().__iter__():
                for name in hidden:
                    row[name] = None
                row["channel_manager"] = user_ref(row["channel_manager_id"], row.pop("manager_username"),
                                                  row.pop("manager_first_name"), row.pop("manager_last_name"))
                row["alignment_quadrant"] = alignment_quadrant(row["shares_goals"], row["shares_methods"])
                yield row

    return DistributorRows

"""The API's deal list and detail as the rows they answer (issue 22): a page read as values, its product lines' ids
and people without a model instance per row; on PostgreSQL the product lines' ids as a column of the statement of
the page or of the deal. Read by ``selectors.opportunity_api_list`` and ``selectors.opportunity_api_get``."""

from __future__ import annotations

import functools

from django.db import connection, connections
from django.db.models import Exists, F, IntegerField
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesIterable
from django.utils import timezone

from keychannel.core.api_rows import related_ids_of, user_refs
from keychannel.core.pagination import (
    BoundedPagination,
    capped_count,
    count_beyond_of,
    stored_count,
    stored_count_of,
)
from keychannel.network.models import ProductLine

from .choices import attention_flags
from .models import Opportunity, weighted

# What the API's list answers (schemas.OpportunityOut), read as values: the deal's columns and its client's few.
# Issue 22: the list's SQL was 2 ms of some 20; the rest was Python: a model instance per deal and per client (their
# inits and signals), then read back attribute by attribute. A page's rows are plain dicts (``OpportunityRows``)
# that core.api_rows validates as they are.
API_LIST_COLUMNS = (
    "id", "title", "client_id", "distributor_id", "external_id", "owner_id", "mentor_id", "kam_id", "value", "volume",
    "currency", "stage", "probability", "stage_entered_at", "lost_reason_code", "lost_reason", "expected_close_on",
    "next_step", "next_step_on", "origin", "source_reference", "closed_on", "contract_id", "created_at", "updated_at",
)
# The client's, as columns of the join (core.pagination leaves the join out of the count and of a deep page's ids).
API_LIST_CLIENT = {"client_legal_name": F("client__legal_name"), "client_territory_id": F("client__territory_id")}
# The people of a page (owner, mentor, KAM: schemas.UserRef), read after its rows in one statement of the users: the
# three joined made PostgreSQL plan the page's statement for 1.1 ms where it ran in 0.2.
API_LIST_PEOPLE = ("owner", "mentor", "kam")


class OpportunityRows(ValuesIterable):
    """A page of the API's list as the rows ``schemas.OpportunityOut`` reads: the client and the people nested as
    their references, ``product_line_ids`` in the product lines' order, ``weighted_value`` and ``attention`` by the
    model's own rules. One statement after the page's own, whatever its size: the people; on SQLite, the links to
    the product lines too (on PostgreSQL they are a column of the page, ``line_ids_array``, added here to the page
    alone: not to its count nor to a deep page's ids). Both are written out (core.api_rows ``user_refs``,
    ``related_ids_of``): through the ORM, building and compiling them took 1 ms of CPU each, running them 0.2."""

    def __iter__(self):
        db = connections[self.queryset.db]
        in_row = db.vendor == "postgresql"
        if in_row:
            self.queryset = self.queryset._chain()
            self.queryset.query.add_annotation(line_ids_array(), "product_line_ids")
        total = getattr(self.queryset.query, "kc_page_total", None)
        if in_row and total is not None and stored_count_of(self.queryset) is total:
            self.queryset.query.add_annotation(total.column(), "kc_total")
        else:
            total = None
        beyond = count_beyond_of(self.queryset) if in_row else None
        if isinstance(beyond, PageBeyond):
            self.queryset.query.add_annotation(beyond.column(), "kc_beyond")
        else:
            beyond = None
        rows = list(super().__iter__())
        if not rows:
            return
        if total is not None:
            total.total = rows[0]["kc_total"]
            for row in rows:
                del row["kc_total"]
        if beyond is not None:
            beyond.answer = (BoundedPagination.COUNT_CAP, rows[0]["kc_beyond"])
            for row in rows:
                del row["kc_beyond"]
        lines = None if in_row else related_ids_of(db, Opportunity, "product_lines", [row["id"] for row in rows])
        people = user_refs(db, [row[f"{person}_id"] for row in rows for person in API_LIST_PEOPLE])
        today = timezone.localdate()
        for row in rows:
            row["client"] = {"id": row["client_id"], "legal_name": row.pop("client_legal_name"),
                             "territory_id": row.pop("client_territory_id")}
            for person in API_LIST_PEOPLE:
                row[person] = people.get(row[f"{person}_id"])
            if lines is not None:
                row["product_line_ids"] = lines[row["id"]]
            row["weighted_value"] = weighted(row["value"], row["probability"])
            row["attention"] = attention_flags(row["stage"], row["next_step"], row["next_step_on"], today)
            yield row


def _columns(model, alias: str, names) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(model._meta.get_field(name).column)}" for name in names)


def line_ids_array() -> RawSQL:
    """PostgreSQL: a deal's product line ids, in the product lines' order, as a column of the deal's own row
    (``ARRAY(SELECT …)``): a statement of the links (core.api_rows.related_ids_of) saved a round trip per page (issue 22)."""
    from django.contrib.postgres.fields import ArrayField  # PostgreSQL only (psycopg)

    return RawSQL(_array_sql(), (), output_field=ArrayField(IntegerField()))


@functools.cache
def _array_sql() -> str:
    through = Opportunity.product_lines.through
    quote = connection.ops.quote_name
    return (f"ARRAY(SELECT l.{quote('productline_id')} FROM {quote(through._meta.db_table)} l "
            f"JOIN {quote(ProductLine._meta.db_table)} p ON p.{quote('id')} = l.{quote('productline_id')} "
            f"WHERE l.{quote('opportunity_id')} = {quote(Opportunity._meta.db_table)}.{quote('id')} "
            f"ORDER BY {_columns(ProductLine, 'p', ProductLine._meta.ordering)})")


class PageTotal:
    """PostgreSQL, a distributor's deals: the list's count (up to the cap) as a column of its page's statement, an
    uncorrelated subquery run once: one round trip less (issue 22; the count cannot come from the pipeline roll-up,
    which counts the deals of clients taken out of scope as well, where the distributor no longer sees them). The
    count of ``core.pagination.stored_count``; a page read otherwise (by cursor, a deep offset, changed since)
    does not carry it, and the count is then read as any list's."""

    def __init__(self, queryset):
        self.base, self.total = queryset, None

    def column(self) -> RawSQL:
        sql, params = self.base.values("pk").order_by()[: BoundedPagination.COUNT_CAP + 1].query.sql_with_params()
        return RawSQL(f"SELECT COUNT(*) FROM ({sql}) counted", params, output_field=IntegerField())

    def __call__(self) -> int:
        if self.total is None:
            count, capped = capped_count(self.base, BoundedPagination.COUNT_CAP)
            return count + capped
        return self.total


class PageBeyond:
    """PostgreSQL, the network's deals: the pipeline roll-up's proof that the list holds more than the count's cap
    (``core.pagination.count_beyond``) as a column of its page's statement, an uncorrelated ``EXISTS`` run once:
    one round trip less (issue 22; nothing else in the request reads the roll-up). ``proof(cap)``: the roll-up's
    rows past ``cap`` (``core.pagination.beyond_rows``). A page read otherwise (a deep offset, changed since) does
    not carry it, and the proof is then read on its own, as any list's."""

    def __init__(self, proof):
        self.proof, self.answer = proof, None

    def column(self) -> Exists:
        return Exists(self.proof(BoundedPagination.COUNT_CAP))

    def __call__(self, cap: int) -> bool:
        if self.answer is not None and self.answer[0] == cap:
            return self.answer[1]
        return self.proof(cap).exists()


def counted_with_page(queryset):
    """``queryset`` whose count its page's statement reads (``PageTotal``)."""
    total = PageTotal(None)
    queryset = stored_count(queryset, total)
    total.base = queryset
    queryset.query.kc_page_total = total
    return queryset


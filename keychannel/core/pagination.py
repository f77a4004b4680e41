"""The API's list pagination: limit/offset, with both bounded so no number reaches the database unchecked."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import BooleanField, F, Func, QuerySet, RowRange, Sum, Window
from django.db.models.expressions import Col
from django.db.models.fields.related import ForeignObject
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import ValidationError as InputError
from ninja.pagination import LimitOffsetPagination
from ninja.pagination import paginate as ninja_paginate

from . import keyset
from .api_rows import fast_list
from .cockpit import money

# Offsets are for the first pages of a list (issue 22: "offset kept for small pages"): a deeper page is read by
# cursor, off the index, at the same cost at any depth. An offset makes the database order and skip every row
# before the page (200k rows took 30 ms where the cursor page took 0.5 ms); the cap is the count cap, so an offset
# page never reaches past what a count can tell.
MAX_OFFSET = 10_000


class BoundedPagination(LimitOffsetPagination):
    """limit + offset, or limit + cursor (core/keyset.py): every page answers ``next_cursor`` while rows remain.

    Cursor pages are the only way past ``MAX_OFFSET`` rows, and the way through a long list: each is read off the index of the list's order after the
    previous page's last row, at the same cost at any depth, and is not counted (``count`` is null). Offset pages
    are kept for the first pages of a screen and for older clients: they count the matching rows up to
    ``COUNT_CAP`` (``count_is_capped`` says when more match; not counted again when the page shows it: a last page,
    or one past the cap), and a deep one (offset ≥ ``DEEP_OFFSET``) reads the
    ids of its rows first, sorting and skipping only the narrow order columns, then the rows of the page by id.
    """

    COUNT_CAP = 10_000
    DEEP_OFFSET = 1_000

    class Input(Schema):
        limit: int = Field(100, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description=(
            "Rows to skip, for the first pages of a list (at most 10,000); to read a long list, or past 10,000 "
            "rows, follow next_cursor instead (every page answers it)."))
        cursor: str | None = Field(
            None, max_length=2000, description="The next_cursor of the previous page; offset is ignored with it."
        )
        updated_since: datetime | None = Field(None, description=(
            "Only rows created or changed at or after this time (ISO 8601; without a zone: the caller's time zone), "
            "in the order they changed (oldest change first, then id): follow next_cursor to read every change."))

    class Output(Schema):
        items: list[Any]
        count: int | None = Field(..., description=(
            "Matching rows, exact up to 10,000 (see count_is_capped); null on a page asked for by cursor."))
        count_is_capped: bool = Field(False, description="True when more than 10,000 rows match: count is then 10,000.")
        next_cursor: str | None = Field(None, description="Pass as cursor for the next page; null on the last page.")

    def paginate_queryset(self, queryset, pagination, request, **params):
        limit = min(pagination.limit, self.max_limit)
        if getattr(pagination, "updated_since", None) is not None:
            queryset = changed_since(queryset, pagination.updated_since)
        keys = keyset.keys_of(queryset) if isinstance(queryset, QuerySet) else None
        if keys is not None:
            queryset = keyset.ordered(queryset, keys)
        if pagination.cursor:
            if keys is None:
                raise ValidationError({"cursor": _("This list cannot be paged by cursor: page it with offset.")})
            try:
                rows = list(keyset.rows_after(queryset, keys, pagination.cursor)[: limit + 1])
            except keyset.CursorError:
                raise ValidationError(
                    {"cursor": _("This is not a cursor of this list: pass the next_cursor of its previous page.")}
                ) from None
            counted = {"count": None}
        elif (known := known_ids_of(queryset)) is not None:
            rows = known.rows(queryset, keys, pagination.offset, limit + 1)
            count = len(known.ids)
            counted = {"count": min(count, self.COUNT_CAP), "count_is_capped": count > self.COUNT_CAP}
        else:
            rows = self.offset_rows(queryset, pagination.offset, limit + 1)
            counted = self.known_count(queryset, pagination.offset, rows, limit) or self.count_rows(queryset)
        more, rows = len(rows) > limit, rows[:limit]
        next_cursor = keyset.cursor_after(rows[-1], keys) if more and keys is not None else None
        return {"items": rows, **counted, "next_cursor": next_cursor}

    def offset_rows(self, queryset, offset: int, size: int) -> list:
        query = getattr(queryset, "query", None)
        as_dicts = bool(query is not None and query.values_select)
        if (offset < self.DEEP_OFFSET or not isinstance(queryset, QuerySet) or query.combinator
                or (as_dicts and ("id" not in query.values_select or query.group_by is not None or query.distinct))):
            # a union (which takes no filter), or rows as dicts without their id or grouped: as they come
            return list(queryset[offset: offset + size])
        # Ids first: the database sorts and skips (pk, order columns) only, not the wide rows with their joins.
        ids = [row["pk"] for row in _without_related_columns(queryset.values("pk"))[offset: offset + size]]
        found = {(row["id"] if as_dicts else row.pk): row for row in queryset.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    def known_count(self, queryset, offset: int, rows: list, limit: int) -> dict | None:
        """The count when the page itself tells it, without counting: a last page (fewer rows than asked, and rows
        or the first page) ends the list at offset + its rows; a page that reaches past the cap has more than it."""
        if not isinstance(queryset, QuerySet):
            return None  # a list built in Python: its len() is exact and free
        seen = offset + len(rows)
        if seen > self.COUNT_CAP:
            return {"count": self.COUNT_CAP, "count_is_capped": True}
        if len(rows) <= limit and (rows or offset == 0):
            return {"count": seen, "count_is_capped": False}
        return None

    def count_rows(self, queryset) -> dict:
        if not isinstance(queryset, QuerySet):
            return {"count": len(queryset), "count_is_capped": False}
        if (stored := stored_count_of(queryset)) is not None:
            count = stored()
            return {"count": min(count, self.COUNT_CAP), "count_is_capped": count > self.COUNT_CAP}
        if (beyond := count_beyond_of(queryset)) is not None and beyond(self.COUNT_CAP):
            return {"count": self.COUNT_CAP, "count_is_capped": True}
        count, capped = capped_count(queryset, self.COUNT_CAP)
        return {"count": count, "count_is_capped": capped}


class KnownIds:
    """Every id a list's queryset holds, read before the page by its selector (a search reads its matches first,
    ``clients.selectors.client_searched``), in the order ``order`` (key names, ascending) when that is given.

    An offset page then needs no count (the count is ``len(ids)``) and no sort of the matching rows: in that order
    its ids are a slice of the list, and its rows are read by id; in another order the page's ids are read first
    (the narrow sort), then its rows. Valid only while the queryset keeps the selector's filters: ``known_ids_of``
    drops it once a filter was added after (``updated_since``)."""

    def __init__(self, query, ids, order: tuple[str, ...] = ()):
        self.ids, self.order, self.where = list(ids), tuple(order), _where_signature(query)

    def rows(self, queryset, keys, offset: int, size: int) -> list:
        if keys is not None and self.order and [(k.name, k.descending) for k in keys] == [(n, False) for n in self.order]:
            ids = self.ids[offset: offset + size]
        else:
            ids = list(queryset.values_list("pk", flat=True)[offset: offset + size])
        if not ids:
            return []
        # The page's rows by id alone: beside the ids of every match, the planner expected one row and joined the
        # related tables row by row (31 ms where the page alone takes 1).
        page = queryset.order_by()
        page.query.where.children = [child for child in page.query.where.children
                                     if not isinstance(getattr(child, "lhs", child), PkAnyOf)]
        found = {row.pk: row for row in page.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]


class PkAnyOf(Func):
    """``pk = ANY(%s)`` with the ids as ONE array parameter on PostgreSQL: the planner reads them through the
    primary key (it knows how many there are) and a list of thousands costs one bound value, not thousands."""

    output_field = BooleanField()

    def __init__(self, expression, ids):
        super().__init__(expression)
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"({sql} = ANY(%s))", (*params, self.ids)
        if not self.ids:
            return "(1 = 0)", ()
        return f"({sql} IN ({', '.join(['%s'] * len(self.ids))}))", (*params, *self.ids)


def _where_signature(query) -> tuple:
    return (len(query.where.children), query.where.connector, query.where.negated, query.combinator)


def known_ids(queryset, ids, order: tuple[str, ...] = ()):
    """The rows ``ids`` of ``queryset`` (every one of them in it; sorted by ``order`` when given), marked for
    ``KnownIds``: the filter is ``PkAnyOf``, which a page drops when it reads its own rows by id."""
    queryset = queryset.filter(PkAnyOf(F("pk"), ids))
    queryset.query.kc_known_ids = KnownIds(queryset.query, ids, order)
    return queryset


def known_ids_of(queryset) -> KnownIds | None:
    """The ``KnownIds`` of a list's queryset, while no filter was added to it since."""
    known = getattr(getattr(queryset, "query", None), "kc_known_ids", None)
    if known is None or known.where != _where_signature(queryset.query) or queryset.query.values_select:
        return None
    return known


def count_beyond(queryset, beyond):
    """``queryset`` marked with ``beyond(cap)``: True when a stored figure proves it holds more than ``cap`` rows
    (a roll-up kept by the services that write the rows, ``sales.selectors.line_api_list``). A capped count then
    answers the cap without reading ``cap + 1`` rows: 100,001 index entries of the sales lines on every first page
    (5 ms at full size, the list's largest cost), where the roll-up tells it from a few hundred rows. False
    proves nothing: the rows are counted. Valid only while no filter is added after it, as ``known_ids``."""
    queryset = queryset.all()
    queryset.query.kc_count_beyond = (beyond, _where_signature(queryset.query))
    return queryset


def sum_beyond(queryset, field: str, cap: int) -> bool:
    """Whether the rows of ``queryset`` (a roll-up's) hold more than ``cap`` in ``field`` together: their running
    sum in id order, which stops at the first row past the cap (a few hundred rows of a roll-up of thousands),
    where a plain sum reads every row. For ``count_beyond``."""
    return beyond_rows(queryset, field, cap).exists()


def beyond_rows(queryset, field: str, cap: int):
    """The rows of ``sum_beyond`` whose running sum is past ``cap`` (none when it is not): its ``exists()``, or an
    ``Exists`` of it in another statement (deals.api_rows.PageBeyond)."""
    seen = Window(Sum(field), order_by=F("pk").asc(), frame=RowRange(start=None, end=0))
    return queryset.order_by().annotate(seen=seen).filter(seen__gt=cap)


def stored_count(queryset, count):
    """``queryset`` marked with ``count()``: how many rows it holds, from a stored figure kept equal to a recount
    by every write (``sales.segment_totals``, kept by triggers). The list's count is then read from it, at the same
    cost at any size, where a capped count read up to ``cap + 1`` rows. Valid only while no filter is added after
    it, as ``known_ids``."""
    queryset = queryset.all()
    queryset.query.kc_stored_count = (count, _where_signature(queryset.query))
    return queryset


def stored_count_of(queryset):
    marked = getattr(queryset.query, "kc_stored_count", None)
    if marked is None or marked[1] != _where_signature(queryset.query):
        return None
    return marked[0]


def count_beyond_of(queryset):
    marked = getattr(queryset.query, "kc_count_beyond", None)
    if marked is None or marked[1] != _where_signature(queryset.query):
        return None
    return marked[0]


def change_time_field(model) -> str | None:
    """The column that says when a row last changed: the model's ``CHANGE_TIME_FIELD`` (a path such as
    ``report__applied_at`` for sales lines, written once with their report), else ``updated_at`` (every save
    sets it), else ``created_at`` for records never changed once written (stage changes, events)."""
    explicit = getattr(model, "CHANGE_TIME_FIELD", None)
    if explicit:
        return explicit
    for name in ("updated_at", "created_at"):
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return name
    return None


def _time_of(row):
    return row.get("updated_at") if isinstance(row, dict) else getattr(row, "updated_at", None)


def _id_of(row):
    return str(row.get("id") if isinstance(row, dict) else getattr(row, "id", ""))


def changed_since(queryset, since: datetime):
    """``updated_since`` for every list: the rows changed at or after ``since``, ordered by (change time, id).

    The order is total (the id breaks ties) and the same on SQLite and PostgreSQL, so keyset cursors page it: a
    row changed while a client walks the list moves to the end and is read again in the same walk; none is
    skipped. A list that is not a queryset of rows with a change time is refused with 422."""
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    try:
        # In UTC: PostgreSQL refuses an offset beyond ±15:59 (a DataError that would abort the transaction).
        since = since.astimezone(UTC)
    except OverflowError:
        raise InputError([{"loc": ["query", "updated_since"], "type": "value_error",
                           "msg": _("Enter a valid date and time (ISO 8601, e.g. 2026-03-01T09:30:00+02:00).")}]) from None
    if not isinstance(queryset, QuerySet):
        # A list built in Python (the task queue, people's accounts): rows carrying ``updated_at``, paged by offset.
        rows = list(queryset)
        if rows and not all(isinstance(row, dict) and "updated_at" in row or hasattr(row, "updated_at") for row in rows):
            raise InputError([{"loc": ["query", "updated_since"], "type": "value_error",
                               "msg": _("This list cannot be followed by change time.")}])
        rows = [row for row in rows if _time_of(row) is not None and _time_of(row) >= since]
        return sorted(rows, key=lambda row: (_time_of(row), _id_of(row)))
    field = change_time_field(queryset.model)
    if field is None:
        raise InputError([{"loc": ["query", "updated_since"], "type": "value_error",
                           "msg": _("This list cannot be followed by change time.")}])
    return queryset.filter(**{f"{field}__gte": since}).order_by(field, "pk")


def capped_count(queryset, cap: int) -> tuple[int, bool]:
    """How many rows match, reading at most ``cap + 1`` of them: ``(min(count, cap), count > cap)``."""
    seen = _without_related_columns(queryset.values("pk").order_by())[: cap + 1].count()
    return min(seen, cap), seen > cap


def _without_related_columns(queryset):
    """The count's queryset without the columns of related rows that a list of values reads (``client_name=
    F("client__legal_name")``): each joined one row per row through a foreign key, so its join changes no count,
    but the database still joined every counted row (the segments list: 100,001 clients per page). The joins that
    a filter uses stay. Anything else (an aggregate, a reverse or many-to-many join, a join of a join) keeps the
    queryset as it is."""
    query = queryset.query
    if not query.annotations or query.group_by is not None or query.combinator or query.distinct:
        return queryset
    joins = []
    for annotation in query.annotations.values():
        join = query.alias_map.get(annotation.alias) if isinstance(annotation, Col) else None
        field = getattr(join, "join_field", None)
        if (join is None or join.parent_alias != query.base_table or not isinstance(field, ForeignObject)
                or not (field.many_to_one or field.one_to_one)):
            return queryset
        joins.append(join.table_alias)
    clone = queryset.all()
    for alias in joins:
        clone.query.unref_alias(alias)
    clone.query.annotations = {}
    return clone


def capped_figure(queryset, cap: int = BoundedPagination.COUNT_CAP) -> int | str:
    """A count for a home figure, read like the lists' (at most ``cap + 1`` rows): the number, or "10,000+"."""
    count, capped = capped_count(queryset, cap)
    return f"{money(cap)}+" if capped else count


class CappedCountPagination(BoundedPagination):
    """For tables of millions of rows (sales lines, segments): the count stops at 100,000."""

    COUNT_CAP = 100_000

    class Output(Schema):
        items: list[Any]
        count: int | None = Field(
            ..., description="Matching rows, exact up to 100,000 (see count_is_capped); null on a cursor page."
        )
        count_is_capped: bool = Field(False, description="True when more than 100,000 rows match: count is then 100,000.")
        next_cursor: str | None = Field(None, description="Pass as cursor for the next page; null on the last page.")


def paginate(pagination_class):
    """ninja's ``@paginate(pagination_class)`` (same parameters, same OpenAPI schema) whose pages are serialised
    by ``core.api_rows`` instead of ninja's per-field wrapper: use it for every API list."""
    def decorator(func):
        return fast_list(ninja_paginate(pagination_class)(func))

    return decorator

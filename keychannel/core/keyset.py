"""Keyset (cursor) paging for the API's lists: the next page starts after the last row seen, read off an index.

OFFSET makes the database sort and skip every row before the page (73x the bare endpoint at 200k clients for a
deep page), and rows inserted or deleted meanwhile shift the pages. A cursor names the last row's ordering
values instead, so a page costs the same at any depth and an ERP following a list neither skips nor repeats rows.

A list's order is its queryset's ``order_by`` (or the model's ``Meta.ordering``), normalised so that it is total
and the same on SQLite and PostgreSQL: a foreign key orders by its id column (not the related model's own
ordering), nullable columns sort their NULLs last, and the primary key ends the order as the tiebreak.
Offset pages and cursor pages of one list use that same order.

A cursor is signed (django.core.signing): a forged or truncated one is refused before any query, and a cursor of
one list is refused by another (the ordering's names are part of it).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Q, QuerySet

SALT = "keychannel.api.cursor"


class CursorError(ValueError):
    """The cursor is not one this list gave out."""


@dataclass(frozen=True)
class Key:
    name: str  # a field path usable in filter() and order_by(), or an annotation's name
    descending: bool
    nullable: bool

    def order(self):
        expression = F(self.name)
        if not self.nullable:
            # A plain ASC/DESC: PostgreSQL reads "DESC NULLS LAST" off a DESC index only when the index says NULLS
            # LAST too, so forcing it on a NOT NULL column sorted all 10M sales lines for every first page.
            return expression.desc() if self.descending else expression.asc()
        return expression.desc(nulls_last=True) if self.descending else expression.asc(nulls_last=True)


def _resolve(model, path: str) -> tuple[str, bool] | None:
    """(the path with a final relation replaced by its id column, nullable) or None when it is no field path."""
    parts = path.split("__")
    nullable = False
    for index, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        nullable = nullable or getattr(field, "null", False)
        if field.is_relation and index < len(parts) - 1:
            if field.many_to_many or field.one_to_many:
                return None  # a to-many path repeats rows: not a key
            model = field.related_model
            continue
        if field.is_relation:
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                return None
            parts[index] = field.attname  # "distributor" -> "distributor_id": the column, not the related ordering
    return "__".join(parts), nullable


def keys_of(queryset: QuerySet) -> list[Key] | None:
    """The list's total order as keys, or None when it cannot be paged by cursor (a random or computed order)."""
    query = queryset.query
    ordering = list(query.order_by) or (list(queryset.model._meta.ordering) if query.default_ordering else [])
    pk_name = queryset.model._meta.pk.name
    keys: list[Key] = []
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            return None
        descending, name = item.startswith("-"), item.lstrip("-+")
        name = pk_name if name == "pk" else name
        if name in query.annotations:
            keys.append(Key(name, descending, nullable=True))  # an annotation may be NULL: sort those last
        else:
            resolved = _resolve(queryset.model, name)
            if resolved is None:
                return None
            keys.append(Key(resolved[0], descending, resolved[1]))
        if keys[-1].name in (pk_name, "id") and not keys[-1].nullable:
            return keys  # the primary key orders every row: what follows it never decides
    keys.append(Key(pk_name, False, nullable=False))
    return keys


def ordered(queryset: QuerySet, keys: list[Key]) -> QuerySet:
    return queryset.order_by(*[key.order() for key in keys])


def _value(item, name: str):
    if isinstance(item, dict):
        return item[name]
    value = item
    for part in name.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def _signature(keys: list[Key]) -> str:
    return ",".join(("-" if key.descending else "") + key.name for key in keys)


class _ExactEncoder(json.JSONEncoder):
    """Dates and times in full ISO form: DjangoJSONEncoder cuts microseconds to milliseconds, and a cursor one
    microsecond early would give its own row again."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


class _Serializer:
    def dumps(self, obj):
        return json.dumps(obj, cls=_ExactEncoder, separators=(",", ":")).encode("latin-1")

    def loads(self, data):
        return json.loads(data.decode("latin-1"))


def cursor_after(item, keys: list[Key]) -> str:
    values = [_value(item, key.name) for key in keys]
    return signing.dumps({"o": _signature(keys), "v": values}, salt=SALT, compress=True, serializer=_Serializer)


def rows_after(queryset: QuerySet, keys: list[Key], cursor: str) -> QuerySet:
    """The rows that come after the cursor's row in this order (NULLs last in each key, as ``ordered`` sorts)."""
    try:
        data = signing.loads(cursor, salt=SALT, serializer=_Serializer)
    except (signing.BadSignature, ValueError) as exc:
        raise CursorError("malformed") from exc
    if not isinstance(data, dict) or data.get("o") != _signature(keys) or len(data.get("v") or []) != len(keys):
        raise CursorError("foreign")
    condition = None
    equal_so_far = Q()
    for key, value in zip(keys, data["v"], strict=True):
        if value is None:
            after = None  # nothing sorts after NULL within this key (NULLs are last)
            equal = Q(**{f"{key.name}__isnull": True})
        else:
            after = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
            if key.nullable:
                after |= Q(**{f"{key.name}__isnull": True})
            equal = Q(**{key.name: value})
        if after is not None:
            term = equal_so_far & after
            condition = term if condition is None else condition | term
        equal_so_far &= equal
    if condition is None:
        return queryset.none()
    first, value = keys[0], data["v"][0]
    if value is not None and not first.nullable:
        # The same rows, with the first key's bound on its own: the database starts reading the index there
        # (the OR above alone would make it read the list from its beginning and filter).
        condition &= Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": value})
    return queryset.filter(condition)

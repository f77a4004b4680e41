"""The rows of an API list page, serialised without django-ninja's per-field wrapper (issue 22, part 3).

ninja validates every row of a list through ``DjangoGetter``: a Python ``__getattr__`` per field that looks up a
resolver, reads the attribute and inspects the value (manager? queryset? callable? file?) before pydantic sees it.
For a page of 50 rows of 20-odd fields that was most of the Python a list request costs (clients 3 ms, deals 8 ms
under load, against about 1 ms of JSON).

``fast_list`` wraps a paginated view: it reads each row once into a dict with plain attribute reads (the same
resolvers, the same conversions for the rare value that needs one, the same fallbacks as ``DjangoGetter``), and
validates the dicts in one pydantic call against a twin of the row schema that keeps its fields, aliases,
validators and serialisers but not ninja's wrapper. The page's other fields (count, next_cursor) go through the
operation's own response model. The body is the same JSON as ninja's (``tests`` compare both for every list) and
the OpenAPI schema is untouched: the wrapper only changes how the answer is built.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import functools
import uuid
from collections import defaultdict
from functools import wraps
from types import UnionType
from typing import Union, get_args, get_origin

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import Model
from django.template import Variable, VariableDoesNotExist
from ninja.operation import ResponseObject
from ninja.schema import DjangoGetter, Schema
from ninja.utils import contribute_operation_callback
from pydantic import BaseModel, TypeAdapter, model_validator

from .scoping import user_full_name

# Values that DjangoGetter passes to pydantic unchanged (it only converts managers, querysets, callables, files).
_PLAIN = frozenset({str, int, float, bool, type(None), decimal.Decimal, datetime.datetime, datetime.date,
                    datetime.time, uuid.UUID, dict, list})
_MISSING = object()
# Off: every list answers through ninja's own path (the tests compare both bodies).
ENABLED = True


def _passthrough(cls, values, handler, info):
    return handler(values)


class RowPlan:
    """How to read and validate one row schema's rows; ``None`` from ``of`` when the schema needs ninja's path."""

    def __init__(self, schema: type[Schema]):
        self.schema = schema
        self.keys = []
        # Fields that hold one nested schema (a reference: ``client: ClientRef``, ``mentor: UserRef | None``): the
        # related row is read into a dict by the nested schema's own plan and validated by its twin, instead of
        # ninja wrapping it field by field (the opportunities list read about 320 attributes a page that way).
        self.nested: dict[str, RowPlan] = {}
        twins = {}
        for name, field in schema.model_fields.items():
            key = field.validation_alias if field.validation_alias is not None else (field.alias or name)
            if not isinstance(key, str):
                raise TypeError(f"{schema.__name__}.{name}: an alias path")
            self.keys.append(key)
            nested = _nested_schema(field.annotation)
            plan = RowPlan.of(nested[0]) if nested is not None else None
            if plan is not None:
                self.nested[key] = plan
                twins[name] = (plan.twin | None) if nested[1] else plan.twin
        self.resolvers = dict(getattr(schema, "_ninja_resolvers", {}))
        # Dotted aliases (``distributor.code``) walked attribute by attribute, where ``Variable`` parsed the key
        # again for every row.
        self.paths = {key: key.split(".") for key in self.keys
                      if "." in key and all(bit.isidentifier() and not bit.startswith("_") for bit in key.split("."))}
        namespace = {
            "__module__": schema.__module__,
            # The same name as ninja's wrap validator replaces it: pydantic validates the dict directly.
            "_run_root_validator": model_validator(mode="wrap")(classmethod(_passthrough)),
        }
        if twins:
            namespace["__annotations__"] = twins
            namespace.update({name: copy.copy(schema.model_fields[name]) for name in twins})
        self.twin = type(f"{schema.__name__}Row", (schema,), namespace)
        self.adapter = TypeAdapter(list[self.twin])
        self.getter = DjangoGetter(None, schema)

    @classmethod
    def of(cls, schema) -> RowPlan | None:
        if not (isinstance(schema, type) and issubclass(schema, Schema)):
            return None
        if schema.model_config.get("extra") == "forbid" or schema.model_config.get("validate_assignment"):
            return None  # ninja validates these against the object itself first
        try:
            return cls(schema)
        except TypeError:
            return None

    def read(self, row, context) -> dict:
        """The row as ``DjangoGetter`` would hand it to pydantic: {key: value} for every key it would answer."""
        out = {}
        is_dict = isinstance(row, dict)
        getter = None
        for key in self.keys:
            resolver = self.resolvers.get(key)
            if resolver is not None:
                if getter is None:
                    getter = DjangoGetter(row, self.schema, context)
                value = resolver(getter=getter)
            elif is_dict:
                value = row.get(key, _MISSING)
                if value is _MISSING:
                    continue
            else:
                path = self.paths.get(key) if self.paths else None
                value = _walk(row, path) if path is not None else _MISSING
                if value is _MISSING:
                    try:
                        value = getattr(row, key)
                    except AttributeError:
                        try:
                            value = Variable(key).resolve(row)
                        except VariableDoesNotExist:
                            continue  # pydantic applies the default (or reports the field missing), as with ninja
            if type(value) not in _PLAIN:
                nested = self.nested.get(key)
                if nested is not None and not isinstance(value, BaseModel):
                    value = nested.read(value, context)
                else:
                    value = self.getter._convert_result(value)
            out[key] = value
        return out

    def dump(self, rows, context: dict, dump_options: dict) -> list:
        values = self.adapter.validate_python([self.read(row, context) for row in rows], context=context)
        return _json_ready(self.adapter.dump_python(values, context=context, **dump_options))


def _datetime_json(value: datetime.datetime) -> str:
    # DjangoJSONEncoder.default's text for a datetime, byte for byte.
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


# The values of a page's rows that json.dumps cannot write itself, written here as the response's encoder
# (ninja's NinjaJSONEncoder, a DjangoJSONEncoder) would: the encoder calls back into Python for each of them,
# through a chain of isinstance checks (a page of deals holds 400: dates, times, amounts). Exact types only: any
# other value still goes to the encoder.
_JSON_TEXT = {datetime.datetime: _datetime_json, datetime.date: datetime.date.isoformat, decimal.Decimal: str}


def _json_ready(rows: list) -> list:
    for row in rows:
        if type(row) is dict:
            _json_ready_dict(row)
    return rows


def _json_ready_dict(row: dict) -> None:
    for key, value in row.items():
        kind = type(value)
        if (write := _JSON_TEXT.get(kind)) is not None:
            row[key] = write(value)
        elif kind is dict:
            _json_ready_dict(value)


def _walk(row, path: list[str]):
    """``Variable(".".join(path)).resolve(row)`` for a path through model instances to a value that is not callable
    (what ``Variable`` answers there too), else ``_MISSING``: ``Variable`` decides (dicts, callables, misses)."""
    value = row
    for bit in path:
        if not isinstance(value, Model):
            return _MISSING
        try:
            value = getattr(value, bit)
        except AttributeError:
            return _MISSING
        if callable(value):
            return _MISSING
    return value


def _nested_schema(annotation) -> tuple[type, bool] | None:
    """``(schema, optional)`` when a field holds one nested ninja schema (``X`` or ``X | None``), else None."""
    optional = False
    if get_origin(annotation) in (Union, UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) != 1 or len(get_args(annotation)) != 2:
            return None
        annotation, optional = args[0], True
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        return annotation, optional
    return None


def _item_schema(response_model, items_attribute: str):
    """The row schema of a paginated response model (``PagedXOut(items: list[XOut], ...)``)."""
    paged = response_model.model_fields["response"].annotation
    items = getattr(paged, "model_fields", {}).get(items_attribute)
    args = get_args(items.annotation) if items is not None else ()
    return paged, (args[0] if len(args) == 1 else None)


class _Page:
    def __init__(self, operation, items_attribute: str):
        self.operation = operation
        self.items_attribute = items_attribute
        self.ready = False
        self.plan = None

    def prepare(self):
        op = self.operation
        self.ready = True
        if any((op.by_alias, op.exclude_unset, op.exclude_defaults, op.exclude_none)) or set(op.response_models) != {200}:
            return
        self.response_model = op.response_models[200]
        _paged, schema = _item_schema(self.response_model, self.items_attribute)
        self.plan = RowPlan.of(schema) if schema is not None else None

    def respond(self, request, result: dict):
        if not self.ready:
            self.prepare()
        if self.plan is None or not isinstance(result, dict) or self.items_attribute not in result:
            return result
        context = {"request": request, "response_status": 200}
        rows = self.plan.dump(result[self.items_attribute], context, {"by_alias": False})
        rest = {**result, self.items_attribute: []}
        body = self.response_model.model_validate(ResponseObject(rest), context=context).model_dump(context=context)
        body = body["response"]
        body[self.items_attribute] = rows  # the same key, so the same place in the JSON object
        return _api(self.operation).create_response(request, body, status=200)


def _api(operation):
    """The NinjaAPI that serves the operation: ninja binds a copy of the router's operation to the API, so the
    one our callback saw may have none; there is one API (keychannel/api.py), imported here to avoid a cycle."""
    if operation.api is not None:
        return operation.api
    from keychannel.api import api

    return api


def fast_list(view, items_attribute: str = "items"):
    """A paginated ninja view whose page is serialised by ``RowPlan`` (see the module's docstring)."""
    pages: list[_Page] = []

    @wraps(view)
    def fast(request, **kwargs):
        result = view(request, **kwargs)
        if len(pages) != 1 or not ENABLED:
            return result  # mounted twice (or not yet): ninja's own path
        return pages[0].respond(request, result)

    fast._ninja_contribute_to_operation = list(getattr(view, "_ninja_contribute_to_operation", []))
    contribute_operation_callback(fast, lambda op: pages.append(_Page(op, items_attribute)))
    fast.kc_fast_list = True
    return fast


def _rows_of(items_attribute: str):
    """``@fast_list.rows("rows")``: the same for a view that answers a list of rows under another name (the
    forecast's ``rows`` beside its totals)."""
    return lambda view: fast_list(view, items_attribute)


fast_list.rows = _rows_of


def with_related_ids(queryset, relation: str):
    """A list page's many-to-many relation whose rows answer only its ids (``product_line_ids``): after the page's
    rows, one statement reads the link table's (row id, related id) pairs for the page, in the related model's
    order, as plain ints on each row (``<relation>_listed_ids``). A prefetch built a related object per link (the
    distributors list: 282 product lines a page, each through the model's init and its signals)."""
    queryset = queryset.prefetch_related(None)
    queryset._iterable_class = _related_ids_iterable(queryset._iterable_class, queryset.model, relation)
    return queryset


def _related_ids_iterable(base, model, relation: str):
    # A class per list (not cached): the base may itself be made per request (core.redaction.redacted).
    attribute = f"{relation}_listed_ids"

    class WithRelatedIds(base):
        def __iter__(self):
            rows = list(super().__iter__())
            as_dicts = bool(rows) and isinstance(rows[0], dict)  # a values page (network.distributor_rows)
            pks = [row["id"] if as_dicts else row.pk for row in rows]
            ids = related_ids_of(connections[self.queryset.db], model, relation, pks)
            for row, pk in zip(rows, pks, strict=True):
                if as_dicts:
                    row[attribute] = ids[pk]
                else:
                    setattr(row, attribute, ids[pk])
            yield from rows

    return WithRelatedIds


def related_ids_of(db, model, relation: str, pks: list) -> defaultdict:
    """{row id: [related id, ...]} for the rows ``pks`` of ``model``, in the related model's order: one written-out
    statement of the link table (``related_ids_sql``), none for no rows."""
    ids = defaultdict(list)
    if pks:
        with db.cursor() as cursor:
            cursor.execute(*page_statement(db, related_ids_sql(model, relation), pks))
            for row_id, related_id in cursor.fetchall():
                ids[row_id].append(related_id)
    return ids


@functools.cache
def related_ids_sql(model, relation: str) -> str:
    """The statement of a page's (row id, related id) links, ``{ids}`` left for ``page_statement``: written out once
    a relation, where the ORM built and compiled it on every page (about 15 % of the registrations list's CPU, issue
    22). The related model's ``ordering`` is of its own columns (``name``, ``-id``)."""
    field = model._meta.get_field(relation)
    through, related = field.remote_field.through, field.related_model
    source = through._meta.get_field(field.m2m_field_name()).column
    target = through._meta.get_field(field.m2m_reverse_field_name()).column
    quote = connection.ops.quote_name
    order = ", ".join(f"p.{quote(related._meta.get_field(name.lstrip('-')).column)}{' DESC' if name[0] == '-' else ''}"
                      for name in related._meta.ordering)
    return (f"SELECT l.{quote(source)}, l.{quote(target)} FROM {quote(through._meta.db_table)} l "
            f"JOIN {quote(related._meta.db_table)} p ON p.{quote(related._meta.pk.column)} = l.{quote(target)} "
            f"WHERE l.{quote(source)} {{ids}}" + (f" ORDER BY {order}" if order else ""))


def page_statement(db, sql: str, ids: list) -> tuple[str, list]:
    """``sql`` (with ``{ids}``) for a page's ids: one array parameter on PostgreSQL (core.pagination.PkAnyOf), a
    list elsewhere."""
    if db.vendor == "postgresql":
        return sql.format(ids="= ANY(%s)"), [list(ids)]
    return sql.format(ids=f"IN ({', '.join(['%s'] * len(ids))})" if ids else "IN (NULL)"), list(ids)


def user_ref(pk, username: str, first_name: str, last_name: str) -> dict | None:
    """A user as the API's user references read one (``UserRefOut``, ``UserRef``: id, username, full name), from
    its columns, or None without one: for value rows, which build no user."""
    if pk is None:
        return None
    return {"id": pk, "username": username, "get_full_name": user_full_name(first_name, last_name)}


USER_REF_COLUMNS = ("id", "username", "first_name", "last_name")


def user_refs(db, pks) -> dict:
    """{id: ``user_ref``} of the users ``pks`` (a page's people): one written-out statement, none for no one."""
    pks = sorted(set(pks) - {None})
    if not pks:
        return {}
    with db.cursor() as cursor:
        cursor.execute(*page_statement(db, _user_refs_sql(), pks))
        return {row[0]: user_ref(*row) for row in cursor.fetchall()}


@functools.cache
def _user_refs_sql() -> str:
    User = get_user_model()
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(User._meta.get_field(name).column)}" for name in USER_REF_COLUMNS)
    return f"SELECT {columns} FROM {quote(User._meta.db_table)} u WHERE u.{quote(User._meta.pk.column)} {{ids}}"


def related_ids(obj, relation: str) -> list:
    """The ids of ``obj``'s related rows in the relation's order: from ``with_related_ids`` when the page read them
    (a record's attribute, or a values row's key), else from the relation (a detail, or a list without it)."""
    if isinstance(obj, dict):
        return obj[f"{relation}_listed_ids"]
    listed = getattr(obj, f"{relation}_listed_ids", None)
    return listed if listed is not None else [row.pk for row in getattr(obj, relation).all()]


def with_related_rows(queryset, relations: dict[str, tuple[str, ...]]):
    """A list page's foreign keys read after its rows, by id, one statement per related model (``{"owner": ("id",
    "username"), "mentor": (...)}``: the owners, mentors and KAMs of a page are one read of the users), each
    related row built once however many rows point to it.

    Why not ``select_related``: every joined table multiplies the plans PostgreSQL weighs for the page's statement.
    The deals list joined its client and three people: planning it took 1.1 ms where running it took 0.2, against
    0.16 ms for the deals and their clients alone (issue 22). The related rows come through the model's base
    manager, as a join reads them (no scoping of its own: the page's rows are scoped already)."""
    queryset = queryset.all()
    queryset._iterable_class = _related_rows_iterable(queryset._iterable_class, queryset.model, relations)
    return queryset


def _related_rows_iterable(base, model, relations: dict[str, tuple[str, ...]]):
    fields = [model._meta.get_field(name) for name in relations]
    columns = defaultdict(set)
    for field, wanted in zip(fields, relations.values(), strict=True):
        columns[field.related_model].update(wanted)

    class WithRelatedRows(base):
        def __iter__(self):
            rows = list(super().__iter__())
            ids = defaultdict(set)
            for field in fields:
                ids[field.related_model].update(
                    value for row in rows if (value := getattr(row, field.attname)) is not None)
            found = {related: {obj.pk: obj for obj in related._base_manager.order_by()
                               .filter(pk__in=sorted(keys)).only(*columns[related])}
                     for related, keys in ids.items() if keys}
            for row in rows:
                for field in fields:
                    value = getattr(row, field.attname)
                    field.set_cached_value(row, None if value is None else found[field.related_model].get(value))
            yield from rows

    return WithRelatedRows

"""The SQL expressions of the global search on PostgreSQL (core/search.py): folding, pg_trgm's similarity
operators and functions, full text, and a field's stored folded copy."""

from __future__ import annotations

import functools
import itertools
import re
import weakref
from contextlib import contextmanager
from types import SimpleNamespace

from django.core.exceptions import FullResultSet
from django.db.models import BooleanField, FloatField, Func, Q, TextField
from django.db.models.expressions import RawSQL
from django.db.models.sql.datastructures import BaseTable, Join


class Fold(Func):
    """``kc_fold(text)``: the column folded as ``core.text.fold`` folds the query."""

    function = "kc_fold"
    output_field = TextField()


class WordSimilar(Func):
    """PostgreSQL ``column %> 'query'``: the query is similar to a word extent of the column (indexable)."""

    arg_joiner = " %%> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class StrictWordSimilar(Func):
    """PostgreSQL ``column %>> 'query'``: the whole query is similar to a run of whole words of the column (pg_trgm
    ``strict_word_similarity_threshold``, 0.5 by default; indexable). It catches a name typed in full with a typo in
    a short word ("temro lituvi" for "termo lituvi srl": word similarity 0.54, under ``%>``'s 0.6; strict word
    similarity 0.54). It replaced ``column % 'query'`` (similarity over the whole name, threshold 0.3): the same
    hits for a name typed in full, but the trigram index let through every name sharing a third of the query's
    trigrams ("lituvi"): 1,500 clients read and tested for 14 hits, 28 of the admin's 30 ms at the issue-10 size."""

    arg_joiner = " %%>> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class FoldedOnceMatch(Func):
    """PostgreSQL ``kc_fold(field) %> 'query' OR kc_fold(field) LIKE '%query%'`` with the field folded once per row:
    ``EXISTS (SELECT FROM (SELECT kc_fold(field) AS kc_f OFFSET 0) kc_s WHERE kc_f %> … OR kc_f LIKE …)``. Written
    out, the two tests fold the field twice per row read (PostgreSQL does not share a function's result between
    them); the sub-select that ``OFFSET 0`` keeps apart folds it once (on 90 distributor people: 0.63 → 0.47 ms,
    full size). It reads no index: for a branch over a small table read whole (``SearchBranch.fold_once``), never
    a field with a trigram index on ``kc_fold(field)`` (distributors)."""

    template = (
        "EXISTS (SELECT FROM (SELECT kc_fold(%(field)s) AS kc_f OFFSET 0) kc_s WHERE kc_f %%%%> %(query)s "
        "OR kc_f LIKE %(pattern)s)"
    )
    output_field = BooleanField()

    def as_sql(self, compiler, conn, **extra_context):
        (field, field_params), (query, query_params), (pattern, pattern_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions())
        sql = self.template % {"field": field, "query": query, "pattern": pattern}
        return sql, (*field_params, *query_params, *pattern_params)


class WordSimilarity(Func):
    function = "word_similarity"
    output_field = FloatField()


class Similarity(Func):
    function = "similarity"
    output_field = FloatField()


class TextMatch(Func):
    """PostgreSQL full text: ``to_tsvector('simple', column) @@ plainto_tsquery('simple', 'query')``."""

    template = "(to_tsvector('simple', %(expressions)s) @@ plainto_tsquery('simple', %%s))"
    output_field = BooleanField()

    def __init__(self, expression, query: str, **extra):
        super().__init__(expression, **extra)
        self.query = query

    def as_sql(self, compiler, conn, **extra_context):
        sql, params = super().as_sql(compiler, conn, **extra_context)
        return sql, (*params, self.query)


class StoredFold(Func):
    """A field's folded copy: on PostgreSQL the generated column ``<column>_fold`` beside it (kept by the database,
    ``GENERATED ALWAYS AS (kc_fold(column)) STORED``), read under the field's own table alias; elsewhere
    ``kc_fold(column)``."""

    function = "kc_fold"
    output_field = TextField()

    def as_postgresql(self, compiler, conn, **extra_context):
        column = self.get_source_expressions()[0]  # the resolved Col of the field
        alias = compiler.quote_name_unless_alias(column.alias)
        return f"{alias}.{conn.ops.quote_name(column.target.column + '_fold')}", []


def scope_key(qs, connection) -> tuple:
    """What decides the rows ``qs`` (a branch's ``visible_to`` queryset) lets through, to key a kept statement
    (core/search.py ``_compiled``): its tables and joins (table, parent, key, join type) and its WHERE compiled,
    SQL and parameters. The same key, the same rows. Compiling the queryset whole (``values_list("pk")``: a clone,
    its select list, its FROM) only for that cost 0.6 ms of Python a search for the admin's 12 branches, 1.3 ms for
    a distributor head's (full size). A queryset holding anything else that narrows its rows (a slice, a union,
    extra(), an annotation a filter may read, grouping) is compiled whole, as before; ``none()`` raises
    ``EmptyResultSet`` either way."""
    query = qs.query
    if (query.combinator or query.is_sliced or query.extra or query.extra_tables or query.annotations
            or query.group_by is not None or query.distinct_fields
            or any(not isinstance(table, BaseTable | Join) or getattr(table, "filtered_relation", None)
                   for table in query.alias_map.values())):
        sql, params = (qs if query.is_sliced else qs.order_by()).values_list("pk").query.sql_with_params()
        return "whole", sql, repr(params)
    tables = tuple((alias, table.identity, getattr(table, "join_type", None)) for alias, table in query.alias_map.items())
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
    except FullResultSet:  # no condition: every row of the joins
        sql, params = "", ()
    return "where", query.model, tables, query.distinct, sql, repr(params)


def hidden_from_planner(sql: str, positions: set[int]) -> str:
    """``sql`` with the placeholders at ``positions`` (counted from 0, as Django's parameters) read through a
    one-row sub-select, ``(SELECT %s::text)``: the planner sees a parameter it cannot estimate instead of a constant
    and takes pg_trgm's default selectivity. For a constant its estimator runs the operator over every value of the
    column's statistics (101 at the issue-10 size) for each test of each branch: 4–5 ms of planning for the
    registrations alone (166 rows, read whole whatever the plan). For the branches over small tables only: the large
    (``bounded``) ones keep the estimate, which chooses between their trigram index (a rare word) and a scan that
    stops at the bound (a common one); a generic plan that lost it cost more than the planning it saved."""
    counter = itertools.count()

    def placeholder(match):
        if match.group(0) == "%%":
            return "%%"
        return "(SELECT %s::text)" if next(counter) in positions else "%s"

    return re.sub(r"%[%s]", placeholder, sql)


# The branches over small tables (not ``bounded``) are a second statement, prepared on the connection and planned
# generically once per connection and shape. Their plan cannot depend on the query: it reaches them only through
# ``hidden_from_planner``'s sub-selects, so planning them again on every search was pure cost: 2.3–2.8 ms of
# PostgreSQL CPU per admin search, 1.5–2 ms per head search (full size, load 5; a quarter of a search that finds
# nothing). It runs through a psycopg 3 ``RawCursor`` (server-side binding, ``$n`` placeholders) numbered here once
# per statement text: psycopg splits a ``%s`` statement over 4 KB or 50 parameters anew on every execution (its cache
# skips them), and this one is about 10 KB with 145 parameters (1.3–2 ms of Python a search at load 5). Every value —
# the query text, the scope's ids, today's date — is a bound parameter and the statement's text is its key
# (psycopg's), so a plan never carries one principal's values to another.
#
# The bounded branches' statement is sent with its values written in (``inlined``: psycopg's literals, as Django's
# client-side cursor writes them, from a split kept per text), never bound on the server: their plan depends on the
# text (see hidden_from_planner), and the session's ``plan_cache_mode = force_generic_plan`` set here would plan even
# an unnamed server-side statement generically (a common word's deals read through the index: 17 ms for 2.6; seen in
# an A/B run of this change). Django's own statements bind client-side too: the mode never reaches them.
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # the connection's threshold while a search executes: no automatic preparing


@functools.lru_cache(maxsize=256)
def _chunks(sql: str) -> tuple[bytes, ...]:
    """Django's SQL split at its ``%s`` placeholders (``%%`` a percent sign): one more chunk than placeholders."""
    chunks, text = [], []
    for token in re.split(r"(%%|%s)", sql):
        if token == "%s":
            chunks.append("".join(text).encode())
            text = []
        else:
            text.append("%" if token == "%%" else token)
    return (*chunks, "".join(text).encode())


def inlined(raw, sql: str, params) -> bytes:
    """``sql`` with each parameter written as a literal, as psycopg's ``ClientCursor`` writes them (the same
    ``as_literal``) but split once per statement text (see above)."""
    from psycopg.adapt import Transformer

    chunks, as_literal = _chunks(sql), Transformer(raw).as_literal
    if len(chunks) != len(params) + 1:
        raise ValueError(f"{len(chunks) - 1} placeholders for {len(params)} parameters")
    out = [chunks[0]]
    for value, chunk in zip(params, chunks[1:], strict=True):
        out += [b"NULL" if value is None else as_literal(value), chunk]
    return b"".join(out)


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """Django's SQL (``%s`` placeholders, ``%%`` a percent sign) with PostgreSQL's ``$1, $2…``."""
    counter = itertools.count(1)
    return re.sub(r"%[%s]", lambda match: "%" if match.group(0) == "%%" else f"${next(counter)}", sql)


class _SearchCursor:
    """A psycopg ``RawCursor`` running Django's SQL split once per text (see above): prepared (numbered, bound on the
    server) or with its values written in (``inlined``, as Django's own cursor binds); built lazily so SQLite
    installs need no psycopg."""

    _class = None

    @classmethod
    def make(cls, raw, *, prepare: bool, logged: bool):
        if cls._class is None:
            import psycopg

            class Search(psycopg.RawCursor):
                prepare = logged = False

                def execute(self, query, params=None, **kwargs):
                    if not self.prepare:
                        text = inlined(self.connection, query, params or ())
                        super().execute(text, None, prepare=False, **kwargs)
                        self._query = SimpleNamespace(query=text)  # Django's query log reads it (DEBUG, tests)
                        return self
                    super().execute(numbered(query), params, prepare=True, **kwargs)
                    if self.logged:
                        # Django's query log reads the text of the last query from ``_query``: the statement with its
                        # values, as logged for Django's own client-side cursor.
                        text = psycopg.ClientCursor(self.connection).mogrify(query, params)
                        self._query = SimpleNamespace(query=text.encode())
                    return self

            cls._class = Search
        cursor = cls._class(raw)
        cursor.prepare, cursor.logged = prepare, logged
        return cursor


@contextmanager
def search_cursor(connection, *, prepare: bool):
    """A Django cursor (logged and counted like any other) for the search's statements (see above). ``prepare``:
    prepared on the server and planned generically, only on a connection kept between requests (``CONN_MAX_AGE``),
    where a prepared statement is reused: behind PgBouncer's transaction pooling (docs/operations.md:
    ``KEYCHANNEL_CONN_MAX_AGE=0``) neither a prepared statement nor the session's plan mode would stay with this
    client. psycopg 2: the ordinary cursor."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    prepare = prepare and bool(connection.settings_dict.get("CONN_MAX_AGE"))
    if prepare and raw not in _generic:
        # The session's mode, set once per connection; no other statement of this connection is prepared (Django
        # binds client-side). Inside a transaction a rollback undoes it, so it is set again for each search there
        # (tests, an atomic view). A setting, not a read: sent on the raw connection, not counted as a query.
        raw.execute("SET plan_cache_mode = force_generic_plan")
        if connection.get_autocommit():
            _generic.add(raw)
    threshold = raw.prepare_threshold  # None under Django unless OPTIONS set it: preparing disabled
    if prepare and threshold is None:
        raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
    try:
        cursor = connection._prepare_cursor(_SearchCursor.make(raw, prepare=prepare, logged=connection.queries_logged))
        with cursor:
            yield cursor
    finally:
        raw.prepare_threshold = threshold


_generic = weakref.WeakSet()  # the raw connections whose session plans prepared statements generically


# How a bounded branch reads its similar rows, by scope (core/search.py _bounded).


def whole_table(branch) -> bool:
    """Whether the branch's scope lets every row of its table through (``visible_to`` filters nothing: the admin, an
    executive, a programme manager). Only then is the similar rows' plan the trigram index whatever the query: for a
    narrower scope (a KAM's, a mentor's clients) the query's estimate lets the planner read the scope's rows first,
    and without it (or through kc_word_similar_ids, which reads the whole index) a KAM's "Temro Lituvi" took 3× as
    long (full size, load 18)."""
    return not branch.scope_first and not branch.qs.query.where


def similar_apart(branch, multiword: bool) -> list[str]:
    """The stored folded fields of a bounded branch whose similar rows are read in one index scan for both of their
    tests (``%>`` and ``%>>``: the query holds several words) by ``kc_word_similar_ids`` (core 0011), outside the
    branch's OR of tests. Only for a scope of the whole table (``whole_table``)."""
    if not (branch.bounded and multiword and whole_table(branch)):
        return []
    return [name for name in branch.fields if isinstance(name, str) and name in branch.folded_fields]


def similar_ids(branch, name: str, text: str) -> Q:
    """``pk IN kc_word_similar_ids(…)``: the rows of ``name`` word-similar or strictly word-similar to ``text`` at
    the session's pg_trgm thresholds, one trigram index scan (core 0011)."""
    model = branch.qs.model
    column = model._meta.get_field(name).column
    sql = ("SELECT kc_word_similar_ids(%s::regclass, %s, %s, %s, "
           "current_setting('pg_trgm.word_similarity_threshold')::float8, "
           "current_setting('pg_trgm.strict_word_similarity_threshold')::float8)")
    return Q(pk__in=RawSQL(sql, [model._meta.db_table, model._meta.pk.column, column, text]))

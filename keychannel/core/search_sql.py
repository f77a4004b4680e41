"""The SQL expressions of the global search on PostgreSQL (core/search.py): folding, pg_trgm's similarity
operators and functions, full text, and a field's stored folded copy."""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from types import SimpleNamespace

from django.db.models import BooleanField, FloatField, Func, TextField


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


# Statements prepared on the connection (psycopg 3, server-side binding) and kept there, so PostgreSQL plans each
# search shape once per connection. Planned for its constants, a search spent about 5 ms (a third of a search that
# finds nothing, at the issue-10 size) estimating the selectivity of each pg_trgm operator: the estimator runs the
# operator over the column's statistics (its most common values and histogram) for each of the 20-odd trigram
# tests of the 12 branches. A generic plan (``plan_cache_mode = force_generic_plan``) is built once, with default
# selectivities, and reused: 0.2 ms a search. Every value — the query text, the scope's ids, today's date — is a
# bound parameter and the statement's text is its key (psycopg's), so a plan never carries one principal's values
# to another. Django's own cursors bind client-side and never prepare: only these statements are affected.
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # the connection's threshold while a search executes: no automatic preparing


class _PreparingCursor:
    """A psycopg ``Cursor`` (server-side binding) that prepares every statement it executes; built lazily so
    SQLite installs need no psycopg."""

    _class = None

    @classmethod
    def make(cls, raw, logged: bool):
        if cls._class is None:
            import psycopg

            class Preparing(psycopg.Cursor):
                logged = False

                def execute(self, query, params=None, **kwargs):
                    kwargs["prepare"] = True
                    super().execute(query, params, **kwargs)
                    if self.logged:
                        # Django's query log (DEBUG, tests) reads the text of the last query from ``_query``, which
                        # psycopg leaves unset for a prepared statement: the statement with its values, as logged
                        # for a client-side cursor.
                        text = psycopg.ClientCursor(self.connection).mogrify(query, params)
                        self._query = SimpleNamespace(query=text.encode())
                    return self

            cls._class = Preparing
        cursor = cls._class(raw)
        cursor.logged = logged
        return cursor


@contextmanager
def prepared_cursor(connection):
    """A Django cursor (logged and counted like any other) whose statements are prepared on the server and planned
    generically (see above); the connection's own cursors are unchanged. Only on a connection kept between requests
    (``CONN_MAX_AGE``), where a prepared statement is reused: behind PgBouncer's transaction pooling
    (docs/operations.md: ``KEYCHANNEL_CONN_MAX_AGE=0``) neither a prepared statement nor the session's plan mode
    would stay with this client. psycopg 2: the ordinary cursor."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3 or not connection.settings_dict.get("CONN_MAX_AGE"):
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw not in _generic:
        # The session's mode, set once per connection; no other statement of this connection is prepared (Django
        # binds client-side). Inside a transaction a rollback undoes it, so it is set again for each search there
        # (tests, an atomic view). A setting, not a read: sent on the raw connection, not counted as a query.
        raw.execute("SET plan_cache_mode = force_generic_plan")
        if connection.get_autocommit():
            _generic.add(raw)
    threshold = raw.prepare_threshold  # None under Django unless OPTIONS set it: preparing disabled
    raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED if threshold is None else threshold
    try:
        cursor = connection._prepare_cursor(_PreparingCursor.make(raw, connection.queries_logged))
        with cursor:
            yield cursor
    finally:
        raw.prepare_threshold = threshold


_generic = weakref.WeakSet()  # the raw connections whose session plans prepared statements generically

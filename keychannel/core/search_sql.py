"""The SQL expressions of the global search on PostgreSQL (core/search.py): folding, pg_trgm's similarity
operators and functions, full text, and a field's stored folded copy."""

from __future__ import annotations

import itertools
import re

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

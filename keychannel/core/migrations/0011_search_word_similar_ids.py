"""``kc_word_similar_ids(table, pk, column, query, word_limit, strict_limit)``: the ids of the rows whose ``column``
is word-similar to ``query`` (``column %> query``, pg_trgm's ``word_limit``) or strictly word-similar to it
(``column %>> query``, ``strict_limit``), read in ONE scan of the column's trigram index (issue 17, the admin's typo
search at the issue-10 size).

Written as ``column %> q OR column %>> q`` the planner reads the same GIN index twice (a BitmapOr), and each scan
walks the posting lists of the query's common trigrams (" t", " te", " l", " li" … in 10,000s of names): 10.75 ms
of PostgreSQL CPU for "temro lituvi" over 200,000 clients (load 11). GIN tests both operators on the same upper
bound (matching trigrams / query trigrams ≥ the threshold), so the candidates at the lower of the two thresholds
hold the candidates of both. The function reads them once, through ``%>`` with the word-similarity threshold set
to the lower one for its own duration (the ``SET`` clause keeps ``set_config(…, true)`` inside the function), and
keeps the rows that pass either test at the caller's thresholds (passed in: ``current_setting`` at the call):
6.25 ms, the same ids (tests/test_search_postgres.py compares them with the two operators, thresholds changed too).

The query reaches the inner statement through ``(SELECT $1)``: pg_trgm's estimator would otherwise run ``%>`` over
the column's statistics on every call (core/search_sql.hidden_from_planner); the plan is the trigram index
whatever the query. ``table`` and the names are the caller's constants (core/search.py), quoted by ``format``.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION kc_word_similar_ids(tbl regclass, pk name, col name, query text, word_limit float8,
                                               strict_limit float8)
RETURNS SETOF bigint LANGUAGE plpgsql STABLE PARALLEL UNSAFE ROWS 100
SET pg_trgm.word_similarity_threshold = 0.6
AS $$
BEGIN
    PERFORM pg_catalog.set_config('pg_trgm.word_similarity_threshold', LEAST(word_limit, strict_limit)::text, true);
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT %I::bigint FROM %s WHERE %I %%> (SELECT $1) '
        'AND (word_similarity($1, %I)::float8 >= $2 OR strict_word_similarity($1, %I)::float8 >= $3)',
        pk, tbl, col, col, col)
    USING query, word_limit, strict_limit;
END $$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)  # no placeholders: format() has its own %I, %s


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS kc_word_similar_ids(regclass, name, name, text, float8, float8)")


class Migration(migrations.Migration):
    dependencies = [("core", "0010_search_fold_faster")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

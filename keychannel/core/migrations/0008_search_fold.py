"""``kc_fold(text)`` on PostgreSQL, the SQL twin of ``core.text.fold`` (global search, issue 17): lower case,
Romanian and other accented letters to ASCII, every run of non-letters and non-digits one space. IMMUTABLE, so
the apps can index ``kc_fold(column)`` with pg_trgm. SQLite gets the Python function on each connection."""

from django.db import migrations

# Accented letters folded by translate(): their target is computed by core.text.fold itself, so both folds agree.
LETTERS = (
    "ȘșŞşȚțŢţĂăÂâÎî"
    "ÁáÀàÄäÃãÅåĀāĄąÉéÈèËëÊêĚěĘęĒēÍíÌìÏïĪīÓóÒòÖöÕõŐőÔôØøŌōÚúÙùÜüŰűŮůŪū"
    "ÇçČčĆćÑñŇňŃńŠšŚśŽžŹźŻżŘřĎďĽľĹĺŁłÝýŸÿĞğİı"
)


def _translate_arguments():
    from keychannel.core.text import fold

    source, target = [], []
    for letter in LETTERS:
        folded = fold(letter)
        if len(folded) == 1 and folded != letter:
            source.append(letter)
            target.append(folded)
    return "".join(source), "".join(target)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    source, target = _translate_arguments()
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Plain letters only (no quote can occur): written into the body, which takes no bound parameters.
    assert "'" not in source + target
    # Not inlined (the SET clause prevents it) and costed high: inlined, the planner costed the expression as a few
    # cheap operators and scanned 6,000 deals through it (650 ms, bench_search.py) instead of reading the index.
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION kc_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        "COST 1000 SET search_path = pg_catalog AS "
        f"$$ SELECT btrim(regexp_replace(lower(translate(value, '{source}', '{target}')), '[^[:alnum:]]+', ' ', 'g')) $$"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS kc_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("core", "0007_idempotency_records")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

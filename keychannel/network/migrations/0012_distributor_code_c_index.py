"""The distributors in code-point order of their code, off an index (issue 22: the forecast by distributor).

The forecast orders its rows by label, "code · name", as Python sorts strings: by code point. On PostgreSQL that is
``ORDER BY code COLLATE "C", id``, which the unique index on ``code`` (in the database's collation) cannot serve, so
every page sorted the whole network's distributors first (2,000 rows at full size). With this index a page walks
the distributors in order and stops when it is full (deals/forecast.py, ``_PAGE``); ``legal_name`` is included so
the walk reads no table row (the distributors change seldom, so their pages stay all-visible).

PostgreSQL only: SQLite has no "C" collation (its BINARY one is code-point order already), and there the forecast
groups its small roll-up instead.
"""

from django.db import migrations

INDEX = "network_distributor_code_c"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON network_distributor (code COLLATE "C", id) INCLUDE (legal_name)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("network", "0011_distributor_manager_index")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

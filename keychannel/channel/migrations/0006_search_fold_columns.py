"""Registration titles and client names, and conflict client names, folded once when written instead of at every
search (issue 17 part 3): the manufacturer's search of registrations tested ``kc_fold`` of two fields with two
predicates on every registration, four folds a row (30 ms of every admin search at the issue-10 size).

PostgreSQL only: generated columns ``<field>_fold = kc_fold(<field>)``, kept by the database on every insert and
update; the search (core/search.py, ``SearchBranch.stored_folds``) matches and ranks on them. Each is one
``ALTER TABLE``; the models do not list the columns, so SQLite and Django's writes are unchanged.
"""

from django.db import migrations

COLUMNS = [("channel_dealregistration", "title"), ("channel_dealregistration", "client_name"),
           ("channel_conflict", "client_name")]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}_fold text "
                              f"GENERATED ALWAYS AS (kc_fold({column})) STORED")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column}_fold")


class Migration(migrations.Migration):
    dependencies = [("channel", "0005_lead_manual_assignment"), ("core", "0010_search_fold_faster")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

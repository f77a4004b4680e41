"""Deal titles folded once, when written, instead of at every search (issue 17 part 3, search speed at the
issue-10 size: 300k opportunities).

PostgreSQL only: a generated column ``title_fold = kc_fold(title)``, kept by the database itself on every insert
and update, and the GIN trigram index of 0011 rebuilt on that column under the same name. The search
(core/search.py, ``SearchBranch.stored_folds``) matches and ranks on the column: no ``kc_fold`` call per row read.
Adding the column is one ``ALTER TABLE`` (the table is rewritten once, every title folded in that statement); the
model does not list the column, so SQLite and Django's writes are unchanged (SQLite folds at query time).
"""

from django.db import migrations

INDEX = "deals_opportunity_title_fold_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE deals_opportunity ADD COLUMN IF NOT EXISTS title_fold text "
                          "GENERATED ALWAYS AS (kc_fold(title)) STORED")
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON deals_opportunity USING gin (title_fold gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("ALTER TABLE deals_opportunity DROP COLUMN IF EXISTS title_fold")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON deals_opportunity USING gin (kc_fold(title) gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [("deals", "0016_won_closed_index"), ("core", "0010_search_fold_faster")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

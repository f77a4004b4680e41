"""A b-tree prefix index on the stakeholders' stored folded name (issue 17 part 3, search speed at the issue-10
size: 1M stakeholders).

The search reads a stakeholder name typed from its start ("vlad diaconu") through ``full_name_fold LIKE 'vlad
diaconu%'`` first (core/search.py, ``SearchBranch.starts``): a range of this index, stopped at the bound. Through
the trigram index, a common first name and surname meant intersecting trigrams held by 100,000s of names (20–30 ms
for the admin at the issue-10 size, whatever the hits).

PostgreSQL only (the column is the generated one of 0011, which the model does not list): ``text_pattern_ops``,
so ``LIKE 'prefix%'`` is served whatever the database's collation. Built in a few seconds on 1M rows.
"""

from django.db import migrations

INDEX = "clients_stakeholder_name_fold_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_stakeholder (full_name_fold text_pattern_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0011_stakeholder_name_fold_column")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

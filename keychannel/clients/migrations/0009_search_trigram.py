"""The global search (core/search.py) finds stakeholders by ``kc_fold(full_name) %> 'query'`` on PostgreSQL: a GIN
trigram index on that expression serves it at the issue-10 size (1M stakeholders). Clients use the existing
index on ``normalized_name`` (0006). SQLite has no such index; its search reads a bounded candidate set."""

from django.db import migrations

INDEX = "clients_stakeholder_name_fold_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_stakeholder USING gin (kc_fold(full_name) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0008_client_external_id"), ("core", "0008_search_fold")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

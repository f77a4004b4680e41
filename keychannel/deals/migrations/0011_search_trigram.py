"""The global search (core/search.py) finds deals by ``kc_fold(title) %> 'query'`` on PostgreSQL: a GIN trigram
index on that expression serves it at the issue-10 size (300k opportunities)."""

from django.db import migrations

INDEX = "deals_opportunity_title_fold_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON deals_opportunity USING gin (kc_fold(title) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("deals", "0010_deal_contract_external_ids"), ("core", "0008_search_fold")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

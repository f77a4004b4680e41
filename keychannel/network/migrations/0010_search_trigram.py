"""The global search (core/search.py) matches distributors by ``kc_fold(legal_name|code|city) %> 'query'`` on
PostgreSQL: without an index every search folded every distributor's three columns twice (190 ms at the
issue-10 size, 3,000 distributors). GIN trigram indexes on the three expressions serve those matches."""

from django.db import migrations

INDEXES = {
    "network_distributor_name_fold_trgm": "legal_name",
    "network_distributor_code_fold_trgm": "code",
    "network_distributor_city_fold_trgm": "city",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON network_distributor USING gin (kc_fold({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("network", "0009_distributor_website_about"), ("core", "0010_search_fold_faster")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

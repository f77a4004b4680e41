"""A trigram index on the normalised client name after its first character, on PostgreSQL (issue 22).

The clients search (``selectors.client_searched``) splits "the name contains the term" in two: the names that
start with it, read in list order off the name index (a range of it, the page's first rows at once), and those
that contain it further on, ``SUBSTRING(normalized_name, 2) LIKE '%…%'``, which this index serves. A common term
starts most of the names it matches ("termo" starts 3,001 of 200,000, and is inside none), so this second
branch is small where the whole-name trigram index returned all 3,001 rows to recheck on the heap and sort
(17 ms at 200k clients). The expression is Django's ``Substr("normalized_name", 2)``, as the selector writes it.
SQLite has no trigram index; its search stays a scan of the (small) embedded database."""

from django.db import migrations

INDEX = "clients_client_name_tail_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_corporateclient "
        "USING gin ((SUBSTRING(normalized_name, 2)) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0013_client_count_and_key_indexes")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

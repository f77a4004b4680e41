"""A trigram index on the normalised client name after its first character, on PostgreSQL (issue 22).

The clients search (``selectors.client_searched``) splits "the name contains the term" in two: the names that
start with it, read in list order off the name index (a range of it, the page's first rows at once), and those
that contain it further on, ``SUBSTRING(normalized_name, 2) LIKE '%…%'``, which this index serves. A common term
starts most of the names it matches ("termo" starts 3,001 of 200,000, and is inside none), so this second
branch is small where the whole-name trigram index returned all 3,001 rows to recheck on the heap and sort
(17 ms at 200k clients). The expression is Django's ``Substr("normalized_name", 2)``, as the selector writes it.
SQLite has no trigram index; its search stays a scan of the (small) embedded database.

The name's statistics target goes to 300 histogram buckets: the planner estimates a range of names
(``'termo' <= name < 'termp'``) from the histogram, interpolating inside a bucket by character codes, which for a
range of one common prefix gave one row where 3,001 match (200k clients, default 100 buckets). Believing one
row, it read and sorted the whole range for a page of 50 instead of walking the index in order, and for a
distributor head it walked the network's range instead of its book's ``(distributor, name)`` index. Not more:
every pattern on the name (the global search's statements) is estimated against each histogram entry, so 1,000
buckets made a distributor head's global search about 40 % slower in planning (wave 12, full size: "Polmier Serv
Femave" 23 → 40 ms), where 300 keeps the range estimate (the list's search 8 ms, against 19 ms with the default)."""

from django.db import migrations

INDEX = "clients_client_name_tail_trgm"
BUCKETS = 300


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_corporateclient "
        "USING gin ((SUBSTRING(normalized_name, 2)) gin_trgm_ops)"
    )
    schema_editor.execute(f"ALTER TABLE clients_corporateclient ALTER COLUMN normalized_name SET STATISTICS {BUCKETS}")
    schema_editor.execute("ANALYZE clients_corporateclient")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute("ALTER TABLE clients_corporateclient ALTER COLUMN normalized_name SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("clients", "0013_client_count_and_key_indexes")]
    operations = [migrations.RunPython(create, drop, elidable=False)]

"""Statistics for the search's stored fold columns (issue 17 part 3, search speed at the issue-10 size).

clients 0011, deals 0017 and channel 0006 added generated columns (``<column>_fold``) by ``ALTER TABLE``: the
table is rewritten, but the new column has no statistics until the next ANALYZE, and autovacuum analyses a table
only after enough rows change, so a large, settled table kept none. Without them the planner guessed every
``title_fold LIKE '%industrial%'`` at 30 rows (75,000 of the bench's 300,000 deal titles hold the word): it read
all 75,000 through the trigram index to keep 400 (27 ms) where a scan stops after about 1,600 rows (0.5 ms), and a
distributor head's no-match search joined 1M stakeholder names the wrong way round (3 ms instead of 0.1).

PostgreSQL only: ``ANALYZE`` of those columns alone (seconds on the issue-10 data set; instant on a new database).
"""

from django.db import migrations

COLUMNS = [("clients_stakeholder", "full_name_fold"), ("deals_opportunity", "title_fold"),
           ("channel_dealregistration", "title_fold"), ("channel_dealregistration", "client_name_fold"),
           ("channel_conflict", "client_name_fold")]


def analyze(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    tables = {}
    for table, column in COLUMNS:
        tables.setdefault(table, []).append(column)
    for table, columns in tables.items():
        schema_editor.execute(f"ANALYZE {table} ({', '.join(columns)})")


class Migration(migrations.Migration):
    dependencies = [("channel", "0006_search_fold_columns"), ("clients", "0011_stakeholder_name_fold_column"),
                    ("deals", "0017_opportunity_title_fold_column")]
    operations = [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False)]

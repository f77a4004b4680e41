"""Two reads of the clients table from an index alone (issue 22, measured at the issue-10 size: 200k clients).

- ``clients_client_live_dist`` (distributor_id) WHERE archived_at IS NULL: the capped count of a reach's live clients
  (``selectors.client_count``, the clients list's count for a distributor set) reads 10,001 index entries, distributor
  by distributor, instead of scanning the table's rows until 10,001 of them are in the reach and live (20,300 rows
  for the bench's channel manager: 8.8 → 2.3 ms).
- ``clients_client_key1_cover`` / ``key2_cover``: each name key with every column the duplicate check's matcher reads
  (id, normalised name, tax id; the second also the first key, which its branch leaves out), so its candidates come
  from index-only scans, not a heap fetch per candidate. They replace the plain indexes of ``name_key`` and
  ``name_key2`` (same leading column, nothing else reads those); the historical table's copies of those indexes go
  too (no read filters history by a name key).

An index-only scan skips the heap only on pages the visibility map marks all-visible, and creating an index does not
set the map: ``VACUUM (ANALYZE)`` does (seconds at 200k clients, instant on a new database; see channel 0007). VACUUM
cannot run in a transaction, so the migration is not atomic; where it runs inside one anyway (a test that re-applies
migrations in its transaction) it analyses only. PostgreSQL only; on SQLite the indexes are plain (no INCLUDE).
"""

from django.db import migrations, models

from keychannel.core.migration_ops import VacuumAnalyze


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("clients", "0012_stakeholder_name_prefix_index")]

    operations = [
        migrations.AlterField(
            model_name="corporateclient",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=8),
        ),
        migrations.AlterField(
            model_name="corporateclient",
            name="name_key2",
            field=models.CharField(blank=True, editable=False, max_length=8),
        ),
        migrations.AlterField(
            model_name="historicalcorporateclient",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=8),
        ),
        migrations.AlterField(
            model_name="historicalcorporateclient",
            name="name_key2",
            field=models.CharField(blank=True, editable=False, max_length=8),
        ),
        migrations.AddIndex(
            model_name="corporateclient",
            index=models.Index(condition=models.Q(("archived_at__isnull", True)), fields=["distributor"],
                               name="clients_client_live_dist"),
        ),
        migrations.AddIndex(
            model_name="corporateclient",
            index=models.Index(fields=["name_key"], include=("id", "normalized_name", "tax_id"),
                               name="clients_client_key1_cover"),
        ),
        migrations.AddIndex(
            model_name="corporateclient",
            index=models.Index(fields=["name_key2"], include=("id", "normalized_name", "tax_id", "name_key"),
                               name="clients_client_key2_cover"),
        ),
        VacuumAnalyze(["clients_corporateclient"]),
    ]

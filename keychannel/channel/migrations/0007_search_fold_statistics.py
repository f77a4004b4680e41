"""Statistics and visibility maps of the tables the search's stored fold columns rewrote (issues 17 and 22).

clients 0011, deals 0017 and channel 0006 added generated columns (``<column>_fold``) by ``ALTER TABLE``, which
rewrites the table. Two things are lost with the old files, and autovacuum brings neither back on a settled table
(it acts on changed or inserted rows, and a rewrite is neither):
- the new column's statistics: the planner guessed every ``title_fold LIKE '%industrial%'`` at 30 rows (75,000 of
  the bench's 300,000 deal titles hold the word) and read all 75,000 through the trigram index to keep 400 (27 ms)
  where a scan stops after about 1,600 rows (0.5 ms);
- the visibility map: ``relallvisible`` was 0 on the 300,000 deals and 1M stakeholders after the migration, so every
  index-only scan (the lists' capped counts, the cockpit's won deals) fetched the heap page of each row it read.

``VACUUM (ANALYZE)`` restores both: seconds on the issue-10 data set, instant on a new database. VACUUM cannot run
in a transaction, so the migration is not atomic; where it runs inside one anyway (a test that re-applies
migrations in its transaction) it analyses only. PostgreSQL only.
"""

from django.db import migrations

from keychannel.core.migration_ops import VacuumAnalyze


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("channel", "0006_search_fold_columns"), ("clients", "0011_stakeholder_name_fold_column"),
                    ("deals", "0017_opportunity_title_fold_column")]
    operations = [VacuumAnalyze(["clients_stakeholder", "deals_opportunity", "channel_dealregistration",
                                 "channel_conflict"])]

"""Stakeholder names folded once, when written, instead of at every search (issue 17 part 3, search speed at the
issue-10 size: 1M stakeholders).

PostgreSQL only: a generated column ``full_name_fold = kc_fold(full_name)``, kept by the database itself on every
insert and update (whatever writes the row: forms, imports, ``bulk_create``, ``update()``), and the GIN trigram
index of 0009 rebuilt on that column under the same name. The search (core/search.py, ``SearchBranch.stored_folds``)
matches and ranks on the column: no ``kc_fold`` call per row read, as the clients' stored ``normalized_name``.
Adding the column is one ``ALTER TABLE`` (the table is rewritten once, every name folded in that statement); the
model does not list the column, so SQLite and Django's writes are unchanged (SQLite folds at query time).
"""

from django.db import migrations

from keychannel.core.migration_ops import AddFoldColumns


class Migration(migrations.Migration):
    dependencies = [("clients", "0010_client_live_name_index"), ("core", "0010_search_fold_faster")]
    operations = [AddFoldColumns("clients_stakeholder", ["full_name"],
                                 trigram_indexes={"full_name": "clients_stakeholder_name_fold_trgm"})]

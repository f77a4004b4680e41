"""Registration titles and client names, and conflict client names, folded once when written instead of at every
search (issue 17 part 3): the manufacturer's search of registrations tested ``kc_fold`` of two fields with two
predicates on every registration, four folds a row (30 ms of every admin search at the issue-10 size).

PostgreSQL only: generated columns ``<field>_fold = kc_fold(<field>)``, kept by the database on every insert and
update; the search (core/search.py, ``SearchBranch.stored_folds``) matches and ranks on them. One ``ALTER TABLE`` a
table; the models do not list the columns, so SQLite and Django's writes are unchanged.
"""

from django.db import migrations

from keychannel.core.migration_ops import AddFoldColumns


class Migration(migrations.Migration):
    dependencies = [("channel", "0005_lead_manual_assignment"), ("core", "0010_search_fold_faster")]
    operations = [AddFoldColumns("channel_dealregistration", ["title", "client_name"]),
                  AddFoldColumns("channel_conflict", ["client_name"])]

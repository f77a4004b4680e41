"""Deal titles folded once, when written, instead of at every search (issue 17 part 3, search speed at the
issue-10 size: 300k opportunities).

PostgreSQL only: a generated column ``title_fold = kc_fold(title)``, kept by the database itself on every insert
and update, and the GIN trigram index of 0011 rebuilt on that column under the same name. The search
(core/search.py, ``SearchBranch.stored_folds``) matches and ranks on the column: no ``kc_fold`` call per row read.
Adding the column is one ``ALTER TABLE`` (the table is rewritten once, every title folded in that statement); the
model does not list the column, so SQLite and Django's writes are unchanged (SQLite folds at query time).
"""

from django.db import migrations

from keychannel.core.migration_ops import AddFoldColumns


class Migration(migrations.Migration):
    dependencies = [("deals", "0016_won_closed_index"), ("core", "0010_search_fold_faster")]
    operations = [AddFoldColumns("deals_opportunity", ["title"],
                                 trigram_indexes={"title": "deals_opportunity_title_fold_trgm"})]

"""Migration operations shared by several apps' migrations.

Stable API: migrations import this module, and a migration once applied is never edited, so what an operation here
does for a given set of arguments must not change. A new behaviour is a new operation (or a new argument whose
default keeps the old behaviour); an operation no migration uses any more may be removed only with those migrations
squashed.
"""

from __future__ import annotations

from django.db import router
from django.db.migrations.operations.base import Operation


class AddFoldColumns(Operation):
    """PostgreSQL only: generated columns ``<column>_fold = kc_fold(<column>)`` on ``table`` (core 0008/0010), kept
    by the database on every insert and update whatever writes the row, so the search matches and ranks on stored
    folds (core/search.py, ``SearchBranch.stored_folds``) instead of calling ``kc_fold`` on every row it reads.

    One ``ALTER TABLE`` adds every column (the table is rewritten once, each value folded in that statement); each
    column named in ``trigram_indexes`` gets its GIN trigram index (the one an earlier migration built on the
    expression ``kc_fold(<column>)``) rebuilt on the column under the same name; then ``ANALYZE`` gives the planner
    the new columns' statistics at once. Reversed: the indexes go back to the expression and the columns are dropped.
    The models do not list the columns, so SQLite (which folds at query time) and Django's writes are unchanged.
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, table: str, columns: list[str], trigram_indexes: dict[str, str] | None = None):
        self.table = table
        self.columns = list(columns)
        self.trigram_indexes = dict(trigram_indexes or {})

    def deconstruct(self):
        kwargs = {"table": self.table, "columns": self.columns}
        if self.trigram_indexes:
            kwargs["trigram_indexes"] = self.trigram_indexes
        return self.__class__.__name__, [], kwargs

    def state_forwards(self, app_label, state):
        pass  # the models do not list the columns

    def _runs(self, app_label, schema_editor) -> bool:
        connection = schema_editor.connection
        return connection.vendor == "postgresql" and router.allow_migrate(connection.alias, app_label)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not self._runs(app_label, schema_editor):
            return
        table = schema_editor.quote_name(self.table)
        adds = ", ".join(f"ADD COLUMN IF NOT EXISTS {schema_editor.quote_name(column + '_fold')} text "
                         f"GENERATED ALWAYS AS (kc_fold({schema_editor.quote_name(column)})) STORED"
                         for column in self.columns)
        schema_editor.execute(f"ALTER TABLE {table} {adds}")
        for column, index in self.trigram_indexes.items():
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")
            schema_editor.execute(f"CREATE INDEX {schema_editor.quote_name(index)} ON {table} "
                                  f"USING gin ({schema_editor.quote_name(column + '_fold')} gin_trgm_ops)")
        schema_editor.execute(f"ANALYZE {table}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not self._runs(app_label, schema_editor):
            return
        table = schema_editor.quote_name(self.table)
        for index in self.trigram_indexes.values():
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")
        drops = ", ".join(f"DROP COLUMN IF EXISTS {schema_editor.quote_name(column + '_fold')}"
                          for column in self.columns)
        schema_editor.execute(f"ALTER TABLE {table} {drops}")
        for column, index in self.trigram_indexes.items():
            schema_editor.execute(f"CREATE INDEX {schema_editor.quote_name(index)} ON {table} "
                                  f"USING gin (kc_fold({schema_editor.quote_name(column)}) gin_trgm_ops)")

    def describe(self):
        return f"Add the folded column(s) {', '.join(c + '_fold' for c in self.columns)} to {self.table}"

    @property
    def migration_name_fragment(self):
        return f"{self.table}_fold_columns"


class VacuumAnalyze(Operation):
    """PostgreSQL only: ``VACUUM (ANALYZE)`` of ``tables`` after a migration that rewrote them or built indexes an
    index-only scan should use. A rewrite loses the statistics and the visibility map, and a new index does not set
    the map; autovacuum brings neither back on a settled table, so every index-only scan would read the heap. VACUUM
    cannot run in a transaction: the migration must say ``atomic = False``; where it runs inside one anyway (a test
    that re-applies migrations in its transaction) it analyses only. Reversed: nothing to undo."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, tables: list[str]):
        self.tables = list(tables)

    def deconstruct(self):
        return self.__class__.__name__, [], {"tables": self.tables}

    def state_forwards(self, app_label, state):
        pass  # no model changes

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or not router.allow_migrate(connection.alias, app_label):
            return
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:  # not schema_editor.execute: it would defer or collect the statement
            for table in self.tables:
                cursor.execute(f"{command} {schema_editor.quote_name(table)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Vacuum and analyse {', '.join(self.tables)}"

    @property
    def migration_name_fragment(self):
        return "vacuum_analyze"

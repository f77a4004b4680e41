"""``core.migration_ops.AddFoldColumns``, the stored folded columns of clients 0011, deals 0017 and channel 0006, on
PostgreSQL (the only database that has them): each migration reversed and applied again inside the test's
transaction leaves generated columns, their trigram indexes on the column (on the expression while reversed) and
the columns' statistics (the ANALYZE after the rewrite)."""

import importlib
import re

import pytest
from django.db import connection

from keychannel.channel.tests.factories import make_client, make_conflict, make_registration
from keychannel.core.migration_ops import AddFoldColumns
from keychannel.deals.tests.factories import OpportunityFactory, StakeholderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_suite]

MIGRATIONS = {
    "clients": "keychannel.clients.migrations.0011_stakeholder_name_fold_column",
    "deals": "keychannel.deals.migrations.0017_opportunity_title_fold_column",
    "channel": "keychannel.channel.migrations.0006_search_fold_columns",
}


def _operations(app_label):
    operations = importlib.import_module(MIGRATIONS[app_label]).Migration.operations
    assert operations and all(isinstance(op, AddFoldColumns) for op in operations)
    return operations


def _one(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _generated(table, column):
    return _one("SELECT is_generated, generation_expression FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = %s", [table, column])


def _index(name):
    row = _one("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
    return row and row[0]


def _has_statistics(table, column):
    return _one("SELECT count(*) FROM pg_stats WHERE tablename = %s AND attname = %s", [table, column])[0] > 0


def _folds(column, sql):
    """Whether ``sql`` calls ``kc_fold`` on ``column`` (PostgreSQL writes a varchar column cast: ``(name)::text``)."""
    return re.search(rf"kc_fold\(\(?{column}\)?(::text)?\)", sql) is not None


def _check(operations, *, applied, analysed=True):
    for op in operations:
        for column in op.columns:
            generated = _generated(op.table, f"{column}_fold")
            if not applied:
                assert generated is None, (op.table, column)
                continue
            assert generated[0] == "ALWAYS" and _folds(column, generated[1]), (op.table, column, generated)
            assert not analysed or _has_statistics(op.table, f"{column}_fold"), (op.table, column)
        for column, index in op.trigram_indexes.items():
            definition = _index(index)
            if applied:
                assert f"({column}_fold gin_trgm_ops)" in definition, definition
            else:
                assert _folds(column, definition) and f"({column}_fold gin_trgm_ops)" not in definition, definition


@pytest.mark.parametrize("app_label", sorted(MIGRATIONS))
def test_fold_column_migrations_add_index_and_analyse_their_columns_and_reverse(app_label, world):
    client = make_client(distributor=world.own, territory=world.territory)
    StakeholderFactory(client=client, full_name="Ștefan Țîrlea")
    OpportunityFactory(client=client, title="Compresoare Brașov", owner=world.user("dist_sales"))
    make_conflict(registration=make_registration(distributor=world.own, client=client, user=world.user("dist_sales")))
    operations = _operations(app_label)
    _check(operations, applied=True, analysed=False)  # as the migrations left the test database (its tables empty)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE of a table with deferred checks pending
    with connection.schema_editor() as editor:
        for op in reversed(operations):
            op.database_backwards(app_label, editor, None, None)
    _check(operations, applied=False)
    with connection.schema_editor() as editor:
        for op in operations:
            op.database_forwards(app_label, editor, None, None)
    _check(operations, applied=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name_fold FROM clients_stakeholder WHERE full_name = %s", ["Ștefan Țîrlea"])
        assert cursor.fetchone() == ("stefan tirlea",)

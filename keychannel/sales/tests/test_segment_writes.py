"""How the recompute writes segments (issue 22, item 4): a recompute from empty inserts and builds the secondary
indexes once, never locking a table that holds segments; the segment keys carry no database constraint, so the
recompute itself holds the clients it writes for, as a constraint would."""

import threading
from datetime import date
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from keychannel.network.models import Distributor
from keychannel.sales import segmentation, services
from keychannel.sales.models import ClientSegment
from keychannel.sales.tests import test_incremental_segments as incremental
from keychannel.sales.tests.test_incremental_segments import _apply, _snapshot

network = incremental.network  # the fixture: two distributors, four clients each, a product code each

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's locks and indexes")
IMPORTS = [(0, date(2025, 11, 1), [(0, 3, 1, 100_00), (1, 4, 2, 5_000_00)]),
           (1, date(2026, 1, 1), [(0, 5, 3, 70_00), (2, 6, 1, 900_00), (3, 7, 4, 12_00)]),
           (0, date(2026, 2, 1), [(2, 8, 1, 250_00)])]


def _indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c "
                       "ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass ORDER BY c.relname",
                       [ClientSegment._meta.db_table])
        return cursor.fetchall()


def _constraints() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "ORDER BY conname", [ClientSegment._meta.db_table])
        return cursor.fetchall()


def _full_recompute() -> tuple[int, list[str]]:
    """Every distributor, every year, read in one scan as a network-wide recompute is (not by index ranges)."""
    ids = list(Distributor.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured, mock.patch.object(segmentation, "FEW_DISTRIBUTORS", 0):
        written = services.segments_refresh(distributor_ids=ids, years=None)
    return written, [q["sql"] for q in captured.captured_queries]


def test_a_recompute_from_empty_writes_what_the_upsert_would(network):
    world, clients = network
    _apply(world, clients, IMPORTS)
    kept = _snapshot()
    indexes = _indexes() if connection.vendor == "postgresql" else None
    constraints = _constraints() if connection.vendor == "postgresql" else None
    ClientSegment.objects.all().delete()
    history = ClientSegment.history.count()
    written, statements = _full_recompute()
    assert _snapshot() == kept
    assert written == len(kept)
    # Every segment has its audit row: created by the recompute.
    audit = ClientSegment.history.order_by("history_id")[history:]
    assert sorted((h.id, h.history_type, h.history_change_reason) for h in audit) == sorted(
        (pk, "+", "recompute") for pk in ClientSegment.objects.values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        assert any(s.startswith("LOCK TABLE") for s in statements), "the from-empty path was taken"
        assert _indexes() == indexes, "the same indexes, by name and definition"
        assert _constraints() == constraints, "the unique key is a constraint again (the upsert's ON CONFLICT)"
    # Nothing changed since: the upsert path finds every segment equal and writes nothing.
    written, statements = _full_recompute()
    assert written == 0
    assert _snapshot() == kept


def test_a_recompute_never_locks_a_table_that_holds_segments(network):
    world, clients = network
    _apply(world, clients, IMPORTS[:1])
    assert ClientSegment.objects.exists()
    _apply(world, clients, IMPORTS[1:])
    written, statements = _full_recompute()
    table = ClientSegment._meta.db_table
    ddl = [s for s in statements if s.startswith(("LOCK TABLE", "DROP INDEX"))
           or (s.startswith("CREATE INDEX") and table in s)]  # (SQLite indexes its temporary tables)
    assert not ddl, ddl
    assert any(s.startswith("DROP TABLE IF EXISTS") for s in statements), "the statements were captured"


def _probe(client_id, out):
    """From another connection: may the client's row be locked for update right now?"""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {clients_table()} WHERE id = %s FOR UPDATE NOWAIT", [client_id])
        out.append("free")
    except OperationalError:
        out.append("held")
    finally:
        connections.close_all()


def clients_table() -> str:
    return ClientSegment._meta.get_field("client").related_model._meta.db_table


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_recompute_holds_the_clients_it_writes_segments_for(network):
    """What a foreign-key constraint would do at commit, the recompute does before it writes: the client rows are
    key-share locked, so none can be deleted until the segments are committed."""
    world, clients = network
    _apply(world, clients, IMPORTS[:1])
    client = clients[(0, 0)]
    seen = []
    with transaction.atomic():
        services.segments_refresh(distributor_ids=[world.own.pk], years=[2025])
        thread = threading.Thread(target=_probe, args=(client.pk, seen))
        thread.start()
        thread.join(timeout=60)
    thread = threading.Thread(target=_probe, args=(client.pk, seen))
    thread.start()
    thread.join(timeout=60)
    assert seen == ["held", "free"]


def test_deleting_a_client_still_deletes_its_segments(network):
    """No database constraint on the segment's keys: the cascade is Django's, and it still happens."""
    world, clients = network
    _apply(world, clients, IMPORTS[:1])
    segment = ClientSegment.objects.filter(client=clients[(0, 0)]).get()
    # A client with sales lines cannot be deleted (PROTECT): take its lines away first, as a correction would.
    segment.client.sales_lines.all().delete()
    segment.client.delete()
    assert not ClientSegment.objects.filter(pk=segment.pk).exists()


def test_an_imports_recompute_takes_a_fixed_number_of_statements(network):
    """An import's recompute is a fixed set of statements whatever the file holds (on PostgreSQL: the temporary
    tables dropped in one statement, the planner settings in one, the locks in one per table)."""
    world, clients = network

    def count():
        with CaptureQueriesContext(connection) as captured:
            services.segments_refresh(distributor_ids=[world.own.pk], years=[2025, 2026])
        return len(captured.captured_queries)

    _apply(world, clients, IMPORTS[:1])
    few = count()
    _apply(world, clients, IMPORTS[1:])
    assert count() == few
    if connection.vendor == "postgresql":
        assert few <= 20, few


@postgresql_only
def test_the_months_after_the_cutoff_are_read_by_index_ranges_per_distributor_year(network):
    """"The same months last year" (seg_after) sums each scope row's range in a LATERAL aggregate: the plan loops
    over the (distributor, date) ranges whatever the estimates. As a join, the planner guessed a third of the scope
    for ``next_cutoff < year_end`` and hashed a scan of every line (0.5 s of a network recompute at scale 0.1)."""
    world, clients = network
    _apply(world, clients, IMPORTS)
    _written, statements = _full_recompute()
    [after] = [s for s in statements if s.startswith("CREATE TEMP TABLE seg_after")]
    assert "FROM seg_scope s CROSS JOIN LATERAL (SELECT l.client_id, SUM(l.amount)" in after, after
    assert "l.distributor_id = s.distributor_id AND l.date > s.next_cutoff AND l.date <= s.year_end GROUP BY" in after



@postgresql_only
def test_the_segments_statement_reads_the_aggregate_twice_and_computes_each_measure_once(network):
    """Each segment's own year and the year before come from one full join of seg_agg's target-year rows with its
    previous-year rows (not a grouping of both as one UNION ALL); a network-wide recompute ranks every survey answer
    rather than hashing seg_agg to pick the clients first; the distributors are checked on seg_targets (a few
    thousand rows), not joined to every segment-to-be; and the measures (share, trend, class, recency, the
    small-batch flag) are computed in their own subqueries, once a row, not again wherever the label uses them."""
    world, clients = network
    _apply(world, clients, IMPORTS)
    plans = []

    def explain(execute, sql, params, many, context):
        if sql.startswith("WITH nps"):
            context["cursor"].execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        _full_recompute()
    [plan] = plans
    assert plan.count("Seq Scan on seg_agg") == 2, plan
    assert "Full Join" in plan, plan
    assert Distributor._meta.db_table not in plan, plan
    assert "Subquery Scan on m" in plan and "Subquery Scan on f" in plan, plan


@postgresql_only
def test_a_recompute_from_empty_locks_the_client_table_not_each_client(network):
    """A rebuild from empty (a maintenance operation) takes a SHARE lock on the client table, which keeps every
    client as it is until it commits, instead of a key-share lock on ~200k client rows (a WAL record and a dirtied
    page each); an incremental recompute still locks only its clients' rows (see the test above)."""
    world, clients = network
    _apply(world, clients, IMPORTS)
    ClientSegment.objects.all().delete()
    _written, statements = _full_recompute()
    assert f"LOCK TABLE {clients_table()} IN SHARE MODE" in statements
    assert not [s for s in statements if "FOR KEY SHARE OF c" in s]
    _written, statements = _full_recompute()
    assert [s for s in statements if "FOR KEY SHARE OF c" in s]
    assert not [s for s in statements if s.startswith(f"LOCK TABLE {clients_table()}")]


@postgresql_only
def test_the_from_empty_insert_maintains_only_the_primary_key_and_months_are_not_numerics(network):
    """Issue 22 (recompute from empty ≤ 1.5× one aggregate): the unique key is built once after the insert, like
    the other indexes, instead of probed 40k times (scale 0.1); the aggregate takes a line's year and month with
    date_part, not EXTRACT (a numeric per call since PostgreSQL 14, twice a line)."""
    world, clients = network
    _apply(world, clients, IMPORTS)
    ClientSegment.objects.all().delete()
    written, statements = _full_recompute()
    assert written == ClientSegment.objects.count() > 0
    assert any("DROP CONSTRAINT" in s and "unique_year" in s for s in statements)
    aggregate = [s for s in statements if s.startswith("CREATE TEMP TABLE seg_agg")]
    assert len(aggregate) == 1 and "EXTRACT" not in aggregate[0] and "date_part('month'" in aggregate[0]


@postgresql_only
def test_the_network_wide_aggregate_groups_sorted_lines_and_plans_as_usual_afterwards(network):
    """Issue 22 (recompute from empty ≤ 1.5× one aggregate): a hashed GROUP BY keeps two numeric SUM states per
    group; at full size (400k groups) each parallel worker spilled them to disk and sorted its output again, 17 %
    more CPU than grouping sorted lines. The setting is the statement's: later statements plan as usual."""
    world, clients = network
    _apply(world, clients, IMPORTS)
    plans, settings = [], []

    def explain(execute, sql, params, many, context):
        if sql.startswith("CREATE TEMP TABLE seg_agg"):
            # (a handful of test lines may be sorted anyway: the setting in force is what holds at any size)
            context["cursor"].execute("SHOW enable_hashagg")
            settings.append(context["cursor"].fetchone()[0])
            context["cursor"].execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(explain):
            _full_recompute()
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_hashagg")
            assert cursor.fetchone()[0] == "on"
    [plan] = plans
    assert settings == ["off"]
    assert "GroupAggregate" in plan and "HashAggregate" not in plan, plan

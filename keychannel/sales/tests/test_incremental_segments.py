"""The import's own segment recompute (only its distributor's years) leaves exactly what a full recompute of the
whole network from empty would write: a property test over random sequences of imports, corrections
(a superseding file) included, on SQLite and on PostgreSQL (issue 22, item 4).

Each example runs in a savepoint that is rolled back, so examples do not see each other's imports.
"""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keychannel.clients.models import CorporateClient
from keychannel.network.models import Distributor
from keychannel.sales import segmentation, services
from keychannel.sales.choices import ReportStatus
from keychannel.sales.models import ClientSegment, ProductMapping
from keychannel.sales.tests.factories import csv_file

pytestmark = pytest.mark.django_db

CLIENTS_EACH = 4
FIELDS = ["distributor_id", "client_id", "year", *services.SEGMENT_FIELDS]


class Rollback(Exception):
    pass


def cui(n: int) -> str:
    body = str(n)
    total = sum(int(d) * int(k) for d, k in zip(body.rjust(9, "0"), "753217532", strict=True))
    check = total * 10 % 11
    return body + str(0 if check == 10 else check)


@pytest.fixture
def network(world):
    """Two distributors, four clients each (one a key account with a potential), one product code each."""
    clients = {}
    for index, distributor in enumerate((world.own, world.other)):
        ProductMapping.objects.create(distributor=distributor, product_code="P-1", product_line=world.product_line)
        for n in range(CLIENTS_EACH):
            clients[(index, n)] = CorporateClient.objects.create(
                legal_name=f"Inc {distributor.code} {n} SRL", tax_id=cui(3_000_000 + 10 * index + n),
                distributor=distributor, status="active", is_key_account=n == 0,
                potential_annual_volume=Decimal(200_000 if n == 0 else 0))
    return world, clients


row = st.tuples(st.integers(0, CLIENTS_EACH - 1), st.integers(1, 28), st.integers(1, 20), st.integers(1, 5_000_000))
one_import = st.tuples(
    st.integers(0, 1),  # which distributor
    st.sampled_from([date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 6, 1)]),
    st.lists(row, min_size=1, max_size=8, unique=True),
)


def _snapshot() -> dict:
    return {tuple(values[:3]): values[3:] for values in ClientSegment.objects.order_by().values_list(*FIELDS)}


def _apply(world, clients, imports) -> None:
    distributors = (world.own, world.other)
    admin = world.principal("admin")
    for number, (which, month, rows) in enumerate(imports):
        lines = [(f"{day:02d}.{month:%m.%Y}", clients[(which, client)].tax_id, "x", "P-1", str(quantity),
                  f"{cents // 100},{cents % 100:02d}") for client, day, quantity, cents in rows]
        # Every import of a month after the first for it replaces it (a corrected file): lines also go away.
        report = services.report_import(principal=admin, distributor=distributors[which], data=csv_file(lines),
                                        file_name=f"r{number}.csv", supersede=True)
        assert report.status in (ReportStatus.APPLIED, ReportStatus.DUPLICATE), (report.status, report.errors[:3])


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(imports=st.lists(one_import, min_size=1, max_size=5))
def test_the_imports_own_recompute_equals_a_full_one(network, imports):
    world, clients = network
    try:
        with transaction.atomic():
            _apply(world, clients, imports)
            incremental = _snapshot()
            assert incremental, "every import applies at least one line"
            # A full recompute over every distributor and year, from empty, as a network-wide one runs (one scan;
            # on PostgreSQL plain inserts and the indexes rebuilt).
            ClientSegment.objects.all().delete()
            ids = list(Distributor.objects.values_list("pk", flat=True))
            with mock.patch.object(segmentation, "FEW_DISTRIBUTORS", 0):
                services.segments_refresh(distributor_ids=ids, years=None)
            assert _snapshot() == incremental
            raise Rollback
    except Rollback:
        pass


def test_the_imports_recompute_reads_the_segments_of_its_distributor_only(network):
    """The statements of an import's recompute that look for segments to delete or to audit are limited to its
    distributor (an index range), so their cost does not grow with the rest of the network's segments."""
    world, clients = network
    _apply(world, clients, [(1, date(2026, 1, 1), [(0, 3, 1, 100_00), (1, 4, 2, 5_000_00)])])
    theirs = {k: v for k, v in _snapshot().items() if k[0] == world.other.pk}
    assert theirs
    with CaptureQueriesContext(connection) as captured:
        _apply(world, clients, [(0, date(2026, 1, 1), [(2, 9, 1, 700_00)])])
    table = ClientSegment._meta.db_table
    mine = f"s.distributor_id IN ({world.own.pk})"
    if connection.vendor == "postgresql":  # one statement: the delete of stale segments and the upsert's join
        [statement] = [q["sql"] for q in captured.captured_queries if "gone AS (DELETE" in q["sql"]]
        assert f"DELETE FROM {table} s WHERE {mine}" in statement, statement
        assert f"LEFT JOIN {table} s ON {mine}" in statement, statement
    else:
        searches = [q["sql"] for q in captured.captured_queries
                    if table in q["sql"] and ("seg_gone AS SELECT" in q["sql"] or "s.updated_at =" in q["sql"])]
        assert searches, "the recompute looked for stale and written segments"
        for sql in searches:
            assert mine in sql, sql
    assert {k: v for k, v in _snapshot().items() if k[0] == world.other.pk} == theirs
    assert {k[0] for k in _snapshot()} == {world.own.pk, world.other.pk}

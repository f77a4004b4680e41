"""The sales roll-up (sales/rollups.py, issue 22): after any sequence of imports, supersedes, report deletes and
one-line edits, the stored roll-up equals a recount of the applied lines, and the corporate-revenue metric read off
it equals the live aggregate. Runs on SQLite and on PostgreSQL (scripts/pgtest.py)."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keychannel.clients.models import CorporateClient
from keychannel.network.demo import romanian_tax_id
from keychannel.program import metrics
from keychannel.sales import rollups, services
from keychannel.sales.choices import ReportStatus
from keychannel.sales.models import ProductMapping, SalesLine, SalesReport
from keychannel.sales.rollups import SalesRollup
from keychannel.sales.tests.factories import csv_file

pytestmark = pytest.mark.django_db

MONTHS = [date(2026, m, 1) for m in (1, 2, 3)]
money = st.integers(min_value=1, max_value=900_000_00).map(lambda cents: Decimal(cents) / 100)
operation = st.one_of(
    st.tuples(st.just("import"), st.sampled_from(["own", "other"]), st.sampled_from(range(len(MONTHS))),
              st.lists(money, min_size=1, max_size=3), st.booleans()),
    st.tuples(st.just("line_amount"), st.integers(min_value=0, max_value=30), money),
    st.tuples(st.just("line_delete"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("report_delete"), st.integers(min_value=0, max_value=10)),
    st.tuples(st.just("unapply"), st.integers(min_value=0, max_value=10)),
)


@pytest.fixture
def sellers(world):
    rng = random.Random(7)
    out = {}
    for side, distributor in (("own", world.own), ("other", world.other)):
        ProductMapping.objects.create(distributor=distributor, product_code="SNS-12", product_line=world.product_line)
        client = CorporateClient.objects.create(legal_name=f"Client {side}", tax_id=romanian_tax_id(rng),
                                                distributor=distributor, status="active")
        out[side] = (distributor, client)
    return {"world": world, "sides": out}


def _import(sellers, side, month_index, amounts, supersede):
    world = sellers["world"]
    distributor, client = sellers["sides"][side]
    month = MONTHS[month_index]
    rows = [(f"{min(5 + i, 28):02d}.{month:%m.%Y}", client.tax_id, client.legal_name, "SNS-12", "1",
             str(amount).replace(".", ",")) for i, amount in enumerate(amounts)]
    return services.report_import(principal=world.principal("admin"), distributor=distributor,
                                  data=csv_file(rows), file_name=f"{side}-{month:%Y%m}.csv", supersede=supersede)


def _run(sellers, op):
    kind = op[0]
    lines = list(SalesLine.objects.order_by("pk"))
    reports = list(SalesReport.objects.order_by("pk"))
    if kind == "import":
        _import(sellers, *op[1:])
    elif kind == "line_amount" and lines:
        line = lines[op[1] % len(lines)]
        line.amount = op[2]
        line.save()
    elif kind == "line_delete" and lines:
        lines[op[1] % len(lines)].delete()
    elif kind == "report_delete" and reports:
        reports[op[1] % len(reports)].delete()
    elif kind == "unapply" and reports:
        report = reports[op[1] % len(reports)]
        if report.status == ReportStatus.APPLIED:
            report.status = ReportStatus.SUPERSEDED
            report.save()


def _live(distributor_ids, start, end):
    metric = metrics.get("corporate_revenue")
    return metric._filtered(distributor_ids, start, end).aggregate(v=metric.aggregate())["v"] or Decimal(0)


def _assert_equal_to_a_recount(sellers):
    assert rollups.differences() == []
    metric = metrics.get("corporate_revenue")
    world = sellers["world"]
    for start, end in ((date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 2, 1), date(2026, 2, 28))):
        assert metric.total(None, start, end) == _live(None, start, end)
        grouped = metric.by_distributor([world.own.pk, world.other.pk], start, end)
        for distributor in (world.own, world.other):
            assert grouped.get(distributor.pk, Decimal(0)) == _live([distributor.pk], start, end)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=6))
def test_the_sales_rollup_equals_a_recount_after_random_changes(sellers, ops):
    SalesReport.objects.all().delete()
    SalesRollup.objects.all().delete()
    for op in ops:
        _run(sellers, op)
        _assert_equal_to_a_recount(sellers)


def test_a_supersede_replaces_the_month_and_the_rebuild_command_recounts(sellers):
    _import(sellers, "own", 0, [Decimal("100.00"), Decimal("50.50")], False)
    _import(sellers, "own", 0, [Decimal("70.00")], True)
    own = sellers["world"].own
    assert list(SalesRollup.objects.values_list("distributor_id", "month", "line_count", "amount")) == [
        (own.pk, MONTHS[0], 1, Decimal("70.00"))]
    SalesRollup.objects.all().delete()
    with pytest.raises(Exception, match="differ from a recount"):
        call_command("sales_rollup_rebuild", "--check")
    call_command("sales_rollup_rebuild")
    call_command("sales_rollup_rebuild", "--check")
    _assert_equal_to_a_recount(sellers)


def test_a_whole_year_reads_the_rollup_not_the_lines_and_a_part_month_counts_live(sellers):
    _import(sellers, "own", 1, [Decimal("10.00")], False)
    metric = metrics.get("corporate_revenue")
    with CaptureQueriesContext(connection) as year:
        assert metric.total(None, date(2026, 1, 1), date(2026, 12, 31)) == Decimal("10.00")
        assert metric.by_distributor(None, date(2026, 1, 1), date(2026, 12, 31)) == {
            sellers["world"].own.pk: Decimal("10.00")}
    assert len(year) == 2 and not any("sales_salesline" in q["sql"] for q in year.captured_queries)
    with CaptureQueriesContext(connection) as part:
        assert metric.total(None, date(2026, 2, 2), date(2026, 12, 31)) == Decimal("10.00")
    assert any("sales_salesline" in q["sql"] for q in part.captured_queries)


def test_an_import_adds_its_lines_to_the_rollup_without_reading_them_back(sellers):
    """The import knows what it wrote (one month, its lines, their amount): the roll-up is not fed by a second
    pass over the 100,000 lines it just sent (issue 22.4)."""
    with CaptureQueriesContext(connection) as queries:
        report = _import(sellers, "own", 0, [Decimal("100.00"), Decimal("50.50")], False)
    assert report.status == ReportStatus.APPLIED, report.errors
    assert not [q["sql"] for q in queries.captured_queries if "sales_salesline" in q["sql"] and "report_id" in q["sql"]
                and "GROUP BY" in q["sql"]]
    own = sellers["world"].own
    assert list(SalesRollup.objects.values_list("distributor_id", "month", "line_count", "amount")) == [
        (own.pk, MONTHS[0], 2, Decimal("150.50"))]
    _assert_equal_to_a_recount(sellers)


def test_amounts_with_more_decimals_than_stored_count_as_stored(sellers):
    """A cell with more decimals than the column keeps is rounded as the database rounds it: the report's total and
    the roll-up are the sums of the stored lines."""
    world = sellers["world"]
    distributor, client = sellers["sides"]["own"]
    rows = [(f"{5 + i:02d}.01.2026", client.tax_id, client.legal_name, "SNS-12", quantity, amount)
            for i, (quantity, amount) in enumerate([("1,0005", "0,005"), ("2", "0,005"), ("1", "0,005"),
                                                    ("1", "12,344")])]
    report = services.report_import(principal=world.principal("admin"), distributor=distributor,
                                    data=csv_file(rows), file_name="decimals.csv")
    assert report.status == ReportStatus.APPLIED, report.errors
    stored = SalesLine.objects.filter(report=report).aggregate(amount=Sum("amount"), quantity=Sum("quantity"))
    assert stored == {"amount": Decimal("12.37"), "quantity": Decimal("5.001")}
    report.refresh_from_db()
    assert (report.total_amount, report.total_quantity) == (stored["amount"], stored["quantity"])
    _assert_equal_to_a_recount(sellers)

"""The import streams its good lines while it checks the file (issue 22.4; PostgreSQL: into COPY, in batches of
``parsing.SINK_BATCH``). Whole or nothing must still hold when lines were already sent before the file turns out
bad: a bad row after the first batches, rows of another month found only at the end, a month already applied."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from keychannel.clients.models import CorporateClient
from keychannel.sales import limits, parsing, services
from keychannel.sales.choices import ReportStatus
from keychannel.sales.models import ClientSegment, ProductMapping, SalesLine, SalesReport
from keychannel.sales.tests.factories import csv_file

pytestmark = pytest.mark.django_db

TAX_ID = "49668380"


@pytest.fixture
def ours(world):
    ProductMapping.objects.create(distributor=world.own, product_code="SNS-12", product_line=world.product_line)
    return CorporateClient.objects.create(legal_name="Univers Retail SRL", tax_id=TAX_ID, distributor=world.own,
                                          status="active")


def _rows(n, day="02.10.2026", base=1000):
    """``n`` distinct lines (a repeated line is refused): the amount counts up."""
    return [(day, TAX_ID, "Univers", "SNS-12", "3", str(base + i)) for i in range(n)]


def _import(world, rows, **kw):
    return services.report_import(principal=world.principal("dist_head"), distributor=world.own,
                                  data=csv_file(rows), file_name="oct.csv", **kw)


def _nothing_written(world):
    assert not SalesLine.objects.filter(distributor=world.own).exists()
    assert not ClientSegment.objects.filter(distributor=world.own).exists()
    assert not SalesReport.objects.filter(distributor=world.own, status=ReportStatus.APPLIED).exists()


def test_a_bad_row_after_the_first_batches_leaves_nothing(world, ours):
    rows = _rows(parsing.SINK_BATCH * 2 + 10)
    rows[parsing.SINK_BATCH * 2 + 5] = ("02.10.2026", TAX_ID, "Univers", "SNS-12", "3", "-5")
    report = _import(world, rows)
    assert report.status == ReportStatus.REJECTED
    assert [(e["row"], e["reason"]) for e in report.errors] == [(parsing.SINK_BATCH * 2 + 7, "negative")]
    _nothing_written(world)


def test_the_first_lines_reach_the_database_before_the_file_is_read_to_its_end(world, ours, monkeypatch):
    """Issue 22: the whole file was read (and passed over for its clients) before the first line went to the
    database, which sat idle meanwhile; now each row is read as it is checked and sent."""
    read = []
    capped = limits.capped_rows

    def counted(rows):
        for row in capped(rows):
            read.append(row)
            yield row

    monkeypatch.setattr(limits, "capped_rows", counted)
    read_at_write = []
    write = services.LineWriter.write
    monkeypatch.setattr(services.LineWriter, "write", lambda self, lines: (read_at_write.append(len(read)),
                                                                           write(self, lines)))
    total = parsing.SINK_BATCH * 3
    report = _import(world, _rows(total))
    assert report.status == ReportStatus.APPLIED and report.line_count == total
    assert len(read) == total + 1  # the header and every row, once
    assert read_at_write[0] <= parsing.SINK_BATCH + parsing.MAX_HEADER_SEARCH  # was total + 1: all of it


def test_a_file_over_a_limit_after_the_first_batches_stores_nothing(world, ours, monkeypatch):
    """A limit passed (or a broken table) further down is found while lines are already in the database: the
    import refuses the file as a whole, as when it is found at the top, and no report or line stays."""
    monkeypatch.setattr(limits, "MAX_ROWS", parsing.SINK_BATCH * 2 + 5)
    with pytest.raises(ValidationError, match=f"more than {parsing.SINK_BATCH * 2 + 5:,} rows"):
        _import(world, _rows(parsing.SINK_BATCH * 2 + 10))
    _nothing_written(world)
    assert not SalesReport.objects.filter(distributor=world.own).exists()
    assert _import(world, _rows(3)).status == ReportStatus.APPLIED  # the connection is usable again


def test_rows_of_another_month_found_at_the_end_leave_nothing(world, ours):
    rows = _rows(parsing.SINK_BATCH + 50) + _rows(3, day="01.11.2026", base=9000)
    report = _import(world, rows)
    assert report.status == ReportStatus.REJECTED and report.period == date(2026, 10, 1)
    assert {e["reason"] for e in report.errors} == {"out_of_period"} and report.error_count == 3
    _nothing_written(world)


def test_a_month_already_applied_waits_and_its_streamed_lines_go(world, ours):
    first = _import(world, _rows(parsing.SINK_BATCH + 1))
    assert first.status == ReportStatus.APPLIED and first.line_count == parsing.SINK_BATCH + 1
    waiting = _import(world, _rows(parsing.SINK_BATCH + 2, base=50_000))
    assert waiting.status == ReportStatus.CONFLICT
    assert SalesLine.objects.filter(distributor=world.own).count() == parsing.SINK_BATCH + 1
    assert set(SalesLine.objects.values_list("report_id", flat=True).distinct()) == {first.pk}
    applied = services.report_reprocess(principal=world.principal("dist_head"), report=waiting, supersede=True)
    assert applied.status == ReportStatus.APPLIED and applied.pk == waiting.pk
    assert set(SalesLine.objects.values_list("report_id", flat=True).distinct()) == {applied.pk}
    assert applied.line_count == SalesLine.objects.count() == parsing.SINK_BATCH + 2


def test_plain_and_formatted_numbers_give_the_same_lines_and_totals(world, ours):
    """The pattern's fast path ("1234,50") and parse_decimal's ("1.234,50", " 1 234,5 ") store the same values."""
    rows = [("02.10.2026", TAX_ID, "Univers", "SNS-12", quantity, amount) for quantity, amount in [
        ("3", "1234,50"), ("3,5", "1.234,50"), ("1.000", " 1 234,5 "), ("2", "1234.5"), ("1", "0,25")]]
    report = services.report_import(principal=world.principal("dist_head"), distributor=world.own,
                                    data=csv_file(rows), file_name="oct.csv")
    assert report.status == ReportStatus.APPLIED, report.errors
    lines = list(SalesLine.objects.filter(report=report).order_by("row").values_list("quantity", "amount"))
    assert lines == [(Decimal("3"), Decimal("1234.50")), (Decimal("3.5"), Decimal("1234.50")),
                     (Decimal("1.000"), Decimal("1234.50")), (Decimal("2"), Decimal("1234.50")),
                     (Decimal("1"), Decimal("0.25"))]
    stored = SalesLine.objects.filter(report=report).aggregate(q=Sum("quantity"))
    assert report.total_quantity == stored["q"] == Decimal("10.5")
    assert report.total_amount == Decimal("4938.25")
    assert report.line_count == 5 and report.content  # the file is kept with the applied report


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's column compression")
def test_the_stored_upload_is_compressed_with_lz4():
    """An import stores its file in its transaction: lz4 compresses a 5 MB file in a third of pglz's time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL has no lz4")
        cursor.execute("SELECT attrelid::regclass::text, attcompression FROM pg_attribute WHERE attname = 'content' "
                       "AND attrelid IN ('sales_salesreport'::regclass, 'sales_importjob'::regclass) ORDER BY 1")
        assert cursor.fetchall() == [("sales_importjob", "l"), ("sales_salesreport", "l")]

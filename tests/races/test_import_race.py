"""Simultaneous sales-report uploads for one distributor and month, with real threads and one connection each.

The import locks the distributor row (PostgreSQL; on SQLite the IMMEDIATE transactions queue), so the uploads
run one after the other and the partial unique constraints (one applied report per distributor and month, one
per file) never have to answer: the same file once applied and then duplicates, different files one applied
and then waiting as conflicts, corrections superseding one after the other. The stored lines always equal
exactly one file's, and never a server error.
"""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from keychannel.core.choices import Role
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory
from keychannel.sales import services
from keychannel.sales.choices import ReportStatus
from keychannel.sales.models import SalesLine, SalesReport
from keychannel.sales.tests.factories import PRODUCT_CODES, csv_file, map_samples
from tests.races.concurrency import fire_at_once, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]

RACERS = 8
PERIOD = date(2026, 10, 1)
URL = "/api/v1/sales-reports"


def _setup():
    """A distributor whose clients and product codes the files name, and its head (who may upload)."""
    distributor = DistributorFactory(organization=OrganizationFactory(), code="irace")
    clients = map_samples(distributor)
    head = make_user(Role.DIST_HEAD, distributor.organization, username="irace-head")
    return distributor, sorted(clients), head


def _report_file(tax_ids, seed, rows=25):
    """A valid file for PERIOD and the total it should apply: (bytes, total amount, total quantity, rows)."""
    rng = random.Random(seed)
    lines, amount, quantity = [], Decimal(0), Decimal(0)
    for n in range(rows):
        value = Decimal(rng.randint(10_000, 900_000)) / 100
        count = rng.randint(1, 40)
        lines.append((f"{1 + n % 28:02d}.{PERIOD:%m.%Y}", rng.choice(tax_ids), "Client", rng.choice(PRODUCT_CODES),
                      str(count), f"{value:.2f}".replace(".", ",")))
        amount += value
        quantity += count
    return csv_file(lines), amount, quantity, rows


def _fire_uploads(token, uploads):
    """POST every (file name, bytes, form fields) at the same moment; returns [(status, json)] in order."""
    def sender(name, data, fields):
        return lambda client: client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields})

    return fire_at_once([(token, sender(*upload)) for upload in uploads])


def _stored(distributor):
    totals = SalesLine.objects.filter(distributor=distributor).aggregate(a=Sum("amount"), q=Sum("quantity"))
    return SalesLine.objects.filter(distributor=distributor).count(), totals["a"], totals["q"]


def _report_id(body):
    return body["report"]["id"] if "report" in body else body["id"]


def test_the_same_file_uploaded_at_once_applies_once_and_the_rest_are_duplicates():
    distributor, tax_ids, head = _setup()
    data, amount, quantity, rows = _report_file(tax_ids, seed=1)
    fields = {"distributor": str(distributor.pk), "period": f"{PERIOD:%Y-%m}"}
    results = _fire_uploads(token_for(head), [(f"same-{i}.csv", data, fields) for i in range(RACERS)])
    statuses = [status for status, _ in results]
    # 201 applied, 200 "this file was applied before, nothing added".
    assert sorted(statuses) == [200] * (RACERS - 1) + [201], results
    reports = SalesReport.objects.filter(distributor=distributor)
    assert reports.count() == RACERS
    applied = reports.get(status=ReportStatus.APPLIED)
    assert applied.pk == _report_id(results[statuses.index(201)][1])
    duplicates = reports.filter(status=ReportStatus.DUPLICATE)
    assert duplicates.count() == RACERS - 1
    assert set(duplicates.values_list("duplicate_of_id", flat=True)) == {applied.pk}
    assert set(duplicates.values_list("line_count", flat=True)) == {0}
    assert (applied.line_count, applied.total_amount, applied.total_quantity) == (rows, amount, quantity)
    assert _stored(distributor) == (rows, amount, quantity)  # one file's lines, not doubled


def test_different_files_for_one_month_at_once_one_applies_the_rest_wait_as_conflicts():
    distributor, tax_ids, head = _setup()
    files = [_report_file(tax_ids, seed=100 + i) for i in range(RACERS)]
    assert len({f[0] for f in files}) == RACERS and len({f[1] for f in files}) == RACERS  # really different
    fields = {"distributor": str(distributor.pk), "period": f"{PERIOD:%Y-%m}"}
    results = _fire_uploads(token_for(head), [(f"file-{i}.csv", f[0], fields) for i, f in enumerate(files)])
    statuses = [status for status, _ in results]
    # 201 applied, 409 "a report for this month exists, confirm to replace it" (stored, waiting).
    assert sorted(statuses) == [201] + [409] * (RACERS - 1), results
    winner = statuses.index(201)
    reports = SalesReport.objects.filter(distributor=distributor)
    applied = reports.get(status=ReportStatus.APPLIED)
    assert applied.pk == _report_id(results[winner][1]) and applied.file_name == f"file-{winner}.csv"
    waiting = reports.filter(status=ReportStatus.CONFLICT)
    assert waiting.count() == RACERS - 1
    assert set(waiting.values_list("supersedes_id", flat=True)) == {applied.pk}
    assert set(waiting.values_list("period", flat=True)) == {PERIOD}
    assert {_report_id(body) for status, body in results if status == 409} == set(waiting.values_list("pk", flat=True))
    _data, amount, quantity, rows = files[winner]
    assert (applied.line_count, applied.total_amount, applied.total_quantity) == (rows, amount, quantity)
    assert _stored(distributor) == (rows, amount, quantity)


def test_simultaneous_corrections_with_supersede_leave_one_applied_report_for_the_month():
    distributor, tax_ids, head = _setup()
    original, *_rest = _report_file(tax_ids, seed=7)
    first = services.report_import(principal=Principal.for_user(head), distributor=distributor, data=original,
                                   file_name="original.csv", period=f"{PERIOD:%Y-%m}")
    assert first.status == ReportStatus.APPLIED
    corrections = [_report_file(tax_ids, seed=200 + i) for i in range(2)]
    assert len({original} | {c[0] for c in corrections}) == 3
    fields = {"distributor": str(distributor.pk), "period": f"{PERIOD:%Y-%m}", "supersede": "true"}
    results = _fire_uploads(token_for(head), [(f"fix-{i}.csv", c[0], fields) for i, c in enumerate(corrections)])
    # "supersede" replaces whatever is applied when the upload gets its turn: both corrections apply, one
    # after the other; the later one replaces the earlier, which replaced the original.
    assert [status for status, _ in results] == [201, 201], results
    reports = SalesReport.objects.filter(distributor=distributor, period=PERIOD)
    applied = reports.filter(status=ReportStatus.APPLIED)
    assert applied.count() == 1
    applied = applied.get()
    winner = int(applied.file_name.removeprefix("fix-").removesuffix(".csv"))
    loser = SalesReport.objects.get(distributor=distributor, file_name=f"fix-{1 - winner}.csv")
    first.refresh_from_db()
    assert (first.status, loser.status) == (ReportStatus.SUPERSEDED, ReportStatus.SUPERSEDED)
    assert loser.supersedes_id == first.pk and applied.supersedes_id == loser.pk
    assert (first.line_count, loser.line_count) == (0, 0)
    assert reports.count() == 3
    _data, amount, quantity, rows = corrections[winner]
    assert (applied.line_count, applied.total_amount, applied.total_quantity) == (rows, amount, quantity)
    assert _stored(distributor) == (rows, amount, quantity)

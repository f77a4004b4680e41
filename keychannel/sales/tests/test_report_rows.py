"""The API's sales-reports list reads value rows (issue 22, wave 13): a page built a SalesReport and a Distributor
record per row (through the models' init and their signals) for plain columns."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models.signals import post_init
from django.utils import timezone

from keychannel.network.models import Distributor
from keychannel.sales.choices import ReportSource, ReportStatus
from keychannel.sales.models import SalesReport

pytestmark = pytest.mark.django_db


def _report(distributor, n, **fields):
    return SalesReport.objects.create(distributor=distributor, file_name=f"r{n}.csv", file_hash=f"{n:064d}",
                                      status=fields.pop("status", ReportStatus.REJECTED), **fields)


def test_the_reports_list_builds_no_record_and_answers_as_the_detail(world, api_as):
    mine = [
        _report(world.own, 1, period=date(2026, 10, 1), row_count=12, error_count=3, total_amount=Decimal("1234.50"),
                total_quantity=Decimal("7.125"), message="three rows to fix"),
        _report(world.own, 2, source=ReportSource.API, status=ReportStatus.CONFLICT),
    ]
    mine.append(_report(world.own, 3, status=ReportStatus.SUPERSEDED, supersedes=mine[0], duplicate_of=mine[1],
                        applied_at=timezone.now()))
    theirs = _report(world.other, 4, period=date(2026, 9, 1))
    built = []

    def count(sender, **kwargs):
        built.append(sender.__name__)

    for model in (SalesReport, Distributor):
        post_init.connect(count, sender=model, weak=False)
    try:
        ours = api_as(world.user("admin")).get("/api/v1/sales-reports?limit=50").json()
        own = api_as(world.user("dist_head")).get("/api/v1/sales-reports?limit=50").json()
    finally:
        for model in (SalesReport, Distributor):
            post_init.disconnect(count, sender=model)
    assert built == []
    assert {row["id"] for row in ours["items"]} >= {r.pk for r in mine} | {theirs.pk}
    assert {row["id"] for row in own["items"]} == {r.pk for r in mine}
    for user, body in ((world.user("admin"), ours), (world.user("dist_head"), own)):
        api = api_as(user)
        for row in body["items"]:
            detail = api.get(f"/api/v1/sales-reports/{row['id']}").json()
            assert row == {key: detail[key] for key in row}
    first = next(row for row in own["items"] if row["id"] == mine[0].pk)
    assert (first["period"], first["distributor_code"], first["total_quantity"]) == ("2026-10", world.own.code, "7.125")
    # Followed by change time, a cursor is made of the rows' change time.
    seen, path = [], "/api/v1/sales-reports?limit=1&updated_since=2000-01-01T00:00:00Z"
    api = api_as(world.user("dist_head"))
    while path:
        body = api.get(path).json()
        seen += [row["id"] for row in body["items"]]
        path = body["next_cursor"] and ("/api/v1/sales-reports?limit=1&updated_since=2000-01-01T00:00:00Z"
                                        f"&cursor={body['next_cursor']}")
    assert sorted(seen) == sorted(r.pk for r in mine)

"""The sales lines' API list counts up to 100,000 (issue 22): for the whole network unfiltered, more lines than
the cap exist as soon as the sales roll-up says so, and the page answers the cap without reading 100,001 index
entries of the lines (5 ms at full size, the list's largest cost); anything narrower is counted as before."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.clients.models import CorporateClient
from keychannel.core.pagination import CappedCountPagination
from keychannel.network.demo import romanian_tax_id
from keychannel.sales import services
from keychannel.sales.models import ProductMapping
from keychannel.sales.tests.factories import csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(world):
    ProductMapping.objects.create(distributor=world.own, product_code="SNS-12", product_line=world.product_line)
    client = CorporateClient.objects.create(legal_name="Client own", tax_id=romanian_tax_id(random.Random(3)),
                                            distributor=world.own, status="active")
    rows = [(f"{5 + i:02d}.03.2026", client.tax_id, client.legal_name, "SNS-12", "1", "10") for i in range(5)]
    services.report_import(principal=world.principal("admin"), distributor=world.own, data=csv_file(rows),
                           file_name="own.csv", supersede=False)
    return client


def _page(api, query=""):
    with CaptureQueriesContext(connection) as ctx:
        answer = api.get(f"/api/v1/sales-lines?limit=2{query}")
    assert answer.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and '"sales_salesline"' in q["sql"]]
    body = answer.json()
    return (body["count"], body["count_is_capped"]), counts


def test_the_whole_networks_count_past_the_cap_comes_from_the_roll_up(world, api_as, lines, monkeypatch):
    admin = api_as(world.user("admin"))
    admin.get("/api/v1/sales-lines?limit=2")  # the rate window
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 3)
    counted, counts = _page(admin)
    assert counted == (3, True)
    assert counts == []  # the roll-up told it: no line was counted
    # A filter: the roll-up does not answer for it, the lines are counted (the same answer).
    counted, counts = _page(admin, f"&client_id={lines.pk}")
    assert counted == (3, True) and len(counts) == 1


def test_under_the_cap_the_lines_are_counted_exactly(world, api_as, lines, monkeypatch):
    admin = api_as(world.user("admin"))
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 10)
    counted, counts = _page(admin)
    assert counted == (5, False) and len(counts) == 1


def test_a_distributors_count_never_reads_the_networks_roll_up(world, api_as, lines, monkeypatch):
    """The roll-up holds every distributor's lines: a distributor's people are counted within their reach."""
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 3)
    with CaptureQueriesContext(connection) as ctx:
        body = api_as(world.user("dist_head")).get("/api/v1/sales-lines?limit=2").json()
    assert not any('"sales_salesrollup"' in q["sql"] for q in ctx.captured_queries)
    assert (body["count"], body["count_is_capped"]) == (3, True)

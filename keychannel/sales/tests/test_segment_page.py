"""The segments page at size (issue 22): its years are a handful of values, not every segment; its charts hand over the
biggest clients only, summed and ranked by the database; the page's statements do not grow with the segments."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.clients.models import CorporateClient
from keychannel.core.scoping import Principal
from keychannel.sales import selectors
from keychannel.sales.choices import AbcClass, SegmentLabel
from keychannel.sales.models import ClientSegment

pytestmark = pytest.mark.django_db

LABELS = list(SegmentLabel.values)


def _segments(world, count, years=(2025, 2026), start=0):
    made = []
    for n in range(start, start + count):
        client = CorporateClient.objects.create(legal_name=f"Segment Client {n} SA", tax_id=f"RO{81_000_000 + n}",
                                                distributor=world.own, potential_annual_volume=Decimal(100_000))
        for year in years:
            made.append(ClientSegment(client=client, distributor=world.own, year=year, volume=Decimal(1000 + n),
                                      months_covered=12, abc_class=AbcClass.values[n % 3], label=LABELS[n % len(LABELS)]))
    ClientSegment.objects.bulk_create(made)


def test_the_years_are_read_by_one_index_probe_a_year_not_every_segment(world):
    _segments(world, 12, years=(2024, 2026))
    _segments(world, 5, years=(2025,), start=12)
    principal = world.principal("admin")
    selectors.segment_years(principal=principal)  # the principal's reach, read once
    with CaptureQueriesContext(connection) as queries:
        years = selectors.segment_years(principal=principal)
    assert years == [2026, 2025, 2024]
    # the newest year, the one before it, …, none left: probes of one recursive statement (a statement each before)
    (probe,) = [q["sql"] for q in queries.captured_queries]
    assert "DISTINCT" not in probe.upper() and "LIMIT 1" in probe and "RECURSIVE" in probe.upper()
    assert selectors.segment_years(principal=world.principal("dist_head")) == [2026, 2025, 2024]
    other = Principal.for_user(world.other_users["dist_head"])
    assert selectors.segment_years(principal=other) == []  # another distributor's segments are not its years


def test_the_charts_hand_over_the_biggest_clients_and_count_every_segment(world, monkeypatch):
    _segments(world, 12, years=(2026,))
    monkeypatch.setattr(selectors, "MATRIX_CLIENTS", 5)
    monkeypatch.setattr(selectors, "PARETO_CLIENTS", 3)
    charts = selectors.segment_charts(principal=world.principal("admin"), year=2026)
    assert [p["name"] for p in charts["pareto"]] == ["Segment Client 11 SA", "Segment Client 10 SA", "Segment Client 9 SA"]
    assert len(charts["matrix"]) == 5
    total = sum(1000 + n for n in range(12))
    assert charts["total_volume"] == total
    assert round(charts["pareto"][0]["cumulative"], 4) == round(1011 / total * 100, 4)
    assert sum(item["count"] for item in charts["labels"]) == 12 == sum(item["count"] for item in charts["abc"])
    assert {item["key"]: item["count"] for item in charts["abc"]} == {"A": 4, "B": 4, "C": 4}


def _statements(page, params, name="sales:segment_list"):
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(reverse(name), params)
    assert answer.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["program_manager", "dist_head"])
def test_the_page_statements_do_not_grow_with_the_segments(world, login, role):
    page = login(world.user(role))
    _segments(world, 3)
    page.get(reverse("sales:segment_list"))
    few = _statements(page, {"year": 2026})
    few_charts = _statements(page, {"year": 2026}, "sales:segment_charts")
    _segments(world, 40, start=3)
    assert _statements(page, {"year": 2026}) == few
    assert _statements(page, {"year": 2026}, "sales:segment_charts") == few_charts
    charts = page.get(reverse("sales:segment_charts"), {"year": 2026}).context["charts"]
    assert len(charts["matrix"]) == 43 and len(charts["pareto"]) == 43


def test_the_page_loads_its_charts_after_itself_and_does_not_rank_the_clients(world, login):
    """The biggest clients summed and ranked over the year (the charts) were most of the page's time at size
    (issue 22): the page counts its labels in one grouped query and loads the charts from their fragment."""
    _segments(world, 6, years=(2026,))
    page = login(world.user("program_manager"))
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(reverse("sales:segment_list"), {"year": 2026, "distributor": world.own.pk})
    body = answer.content.decode()
    assert f'hx-get="/sales/segments/charts/?year=2026&amp;distributor={world.own.pk}"' in body
    assert 'hx-trigger="load"' in body and "segment-chart-labels" not in body
    assert not [q for q in queries.captured_queries if f"LIMIT {selectors.MATRIX_CLIENTS}" in q["sql"]]
    assert [item["count"] for item in answer.context["counts"]["labels"]] == [
        sum(1 for n in range(6) if LABELS[n % len(LABELS)] == label) for label in LABELS]
    fragment = page.get(reverse("sales:segment_charts"), {"year": 2026, "distributor": world.own.pk})
    assert 'data-charts="{&quot;pareto&quot;' in fragment.content.decode() and len(fragment.context["charts"]["matrix"]) == 6
    with CaptureQueriesContext(connection) as queries:
        page.get(reverse("sales:segment_charts"), {"year": 2026})
    assert not [q for q in queries.captured_queries if "ORDER BY 1 DESC LIMIT 1" in q["sql"]]  # no year probes


def test_the_page_reads_the_columns_its_table_shows(world, login):
    """Issue 22: each row was a segment with every column of its client and distributor (some 90 attributes set per
    row the table never read); the page reads what its columns (and its export) show. The same cells."""
    _segments(world, 3, years=(2026,))
    page = login(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(reverse("sales:segment_list"), {"year": 2026})
    assert answer.status_code == 200
    rows = [q["sql"] for q in queries.captured_queries
            if '"clients_corporateclient"."legal_name"' in q["sql"] and 'FROM "sales_clientsegment"' in q["sql"]]
    assert len(rows) == 1
    for column in ('"clients_corporateclient"."tax_id"', '"clients_corporateclient"."potential_annual_volume"',
                   '"network_distributor"."name"', '"sales_clientsegment"."quantity"'):
        assert column not in rows[0], column
    html = answer.content.decode()
    for segment in ClientSegment.objects.filter(year=2026).select_related("client", "distributor"):
        assert segment.client.legal_name in html and segment.trend_label in html
        assert segment.get_label_display() in html and segment.share_label in html

"""The segments' yearly totals per label and ABC class (sales/segment_totals.py, issue 22), kept by triggers on the
segment table, so they equal a recount whatever wrote the segments (the recompute's set-based SQL, an import, an
edit, a deleted client, the ORM, a raw statement); the segments page and its charts, for the whole network, read
them instead of grouping the year's every segment, with the same figures; the segments list, for the whole
network, reads its count from them instead of counting up to 100,001 segments on every first page (they replaced
the per-year segment tally, migration sales 0014); and the charts rank the clients before reading their names."""

import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.clients.models import CorporateClient
from keychannel.core.pagination import CappedCountPagination
from keychannel.sales import segment_totals, selectors
from keychannel.sales.models import ClientSegment, SegmentClassTotal
from keychannel.sales.tests import test_incremental_segments as incremental
from keychannel.sales.tests.test_incremental_segments import _apply
from keychannel.sales.tests.test_segment_page import _segments
from keychannel.sales.tests.test_segment_writes import IMPORTS, _full_recompute

network = incremental.network  # the fixture: two distributors, four clients each, a product code each

pytestmark = pytest.mark.django_db


def _check():
    assert segment_totals.differences() == []
    # the segments list's count (summed totals): every year's, and each year's
    years = dict(ClientSegment.objects.order_by().values_list("year").annotate(n=Count("pk")))
    assert segment_totals.stored_segments() == sum(years.values())
    assert {year: segment_totals.stored_segments(year=year) for year in years} == years


def test_the_totals_equal_a_recount_after_random_writes(network):
    world, clients = network
    rng = random.Random(22)
    _apply(world, clients, IMPORTS)
    _check()
    assert SegmentClassTotal.objects.exists()
    ops = ["recompute", "delete_some", "move_year", "move_client", "revalue", "relabel", "renps", "save", "create",
           "bulk", "other_distributor", "delete_client", "raw", "raw_update", "empty"]
    for _step in range(30):
        segments = list(ClientSegment.objects.order_by("pk"))
        op = rng.choice(ops)
        some = rng.choice(segments) if segments else None
        if op == "recompute":
            ClientSegment.objects.all().delete() if rng.random() < 0.3 else None
            _full_recompute()  # the set-based INSERT … ON CONFLICT / DELETE of segmentation.recompute
        elif op == "delete_some" and segments:
            ClientSegment.objects.filter(pk__in=[s.pk for s in rng.sample(segments, min(2, len(segments)))]).delete()
        elif op == "move_year" and some:
            taken = {(s.distributor_id, s.client_id, s.year) for s in segments}
            year = rng.choice([2019, 2020])
            if (some.distributor_id, some.client_id, year) not in taken:
                ClientSegment.objects.filter(pk=some.pk).update(year=year)
        elif op == "move_client" and some:
            taken = {(s.distributor_id, s.client_id, s.year) for s in segments}
            client = rng.choice(list(clients.values()))
            if (some.distributor_id, client.pk, some.year) not in taken:
                ClientSegment.objects.filter(pk=some.pk).update(client=client)
        elif op == "revalue" and segments:  # several rows in one statement, some of one client
            ClientSegment.objects.filter(pk__in=[s.pk for s in rng.sample(segments, min(3, len(segments)))]).update(
                volume=Decimal(rng.randint(0, 10**7)) / 100)
        elif op == "relabel" and some:
            ClientSegment.objects.filter(pk=some.pk).update(label=rng.choice(["strategic", "dormant", "at_risk"]),
                                                            abc_class=rng.choice("ABC"))
        elif op == "renps" and segments:  # moves no total: nothing to write
            ClientSegment.objects.all().update(nps_class=rng.choice(["promoter", "none"]))
        elif op == "save" and some:  # a form / the admin: one row saved whole
            some.volume, some.label = some.volume + Decimal("0.07"), "grow"
            some.save()
        elif op in ("create", "bulk", "other_distributor"):
            taken = {(s.distributor_id, s.client_id, s.year) for s in segments}
            year = rng.choice([2018, 2026])
            # "other_distributor": the first distributor's clients also bought from the second one
            seller = world.other if op == "other_distributor" else world.own
            fresh = [ClientSegment(distributor=seller, client=client, year=year, abc_class=rng.choice("ABC"),
                                   label="maintain", volume=Decimal(rng.randint(1, 10**6)) / 100)
                     for (index, _n), client in clients.items() if index == 0
                     and (seller.pk, client.pk, year) not in taken]
            if op == "create" and fresh:
                fresh[0].save()
            else:
                ClientSegment.objects.bulk_create(fresh)
        elif op == "delete_client" and (unsold := [s for s in segments if not s.client.sales_lines.exists()]):
            gone = rng.choice(unsold).client_id  # a client without sales lines (those protect it)
            CorporateClient.objects.get(pk=gone).delete()  # the collector deletes its segments
            clients = {key: c for key, c in clients.items() if c.pk != gone}
        elif op == "raw" and segments:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {ClientSegment._meta.db_table} WHERE id = %s", [segments[-1].pk])
        elif op == "raw_update" and segments:
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {ClientSegment._meta.db_table} SET volume = volume * 2 + 0.01")
        elif op == "empty":
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {ClientSegment._meta.db_table}")
            else:
                ClientSegment.objects.all().delete()
        _check()


def test_the_rebuild_command_recounts_and_checks(network):
    world, clients = network
    _apply(world, clients, IMPORTS)
    kept = segment_totals.stored()
    SegmentClassTotal.objects.filter(pk__in=SegmentClassTotal.objects.all()[:1]).update(volume=Decimal(1))
    with pytest.raises(Exception, match="differ"):
        call_command("sales_segment_totals_rebuild", "--check")
    call_command("sales_segment_totals_rebuild")
    assert segment_totals.stored() == kept
    call_command("sales_segment_totals_rebuild", "--check")


def _recounted(monkeypatch, selector, **arguments):
    """``selector(**arguments)`` as it was before the stored totals: every figure summed from the segments."""
    with monkeypatch.context() as patched:
        patched.setattr(selectors, "_network_wide", lambda principal, distributor_id: False)
        return selector(**arguments)


def test_the_network_charts_and_counts_are_the_recounts(world, monkeypatch):
    _segments(world, 12, years=(2025, 2026))
    # clients that bought from both distributors, and ties: the ranking sums and orders as the recount did
    for n, segment in enumerate(ClientSegment.objects.filter(year=2026).order_by("pk")[:6]):
        ClientSegment.objects.create(client_id=segment.client_id, distributor=world.other, year=2026,
                                     volume=Decimal(500 + 3 * (n % 2)), months_covered=12, abc_class="B", label="grow")
    monkeypatch.setattr(selectors, "MATRIX_CLIENTS", 8)
    monkeypatch.setattr(selectors, "PARETO_CLIENTS", 5)
    admin = world.principal("admin")
    for year in (2025, 2026, 2030):
        charts = selectors.segment_charts(principal=admin, year=year)
        assert charts == _recounted(monkeypatch, selectors.segment_charts, principal=admin, year=year)
        counts = selectors.segment_counts(principal=admin, year=year)
        assert counts == _recounted(monkeypatch, selectors.segment_counts, principal=admin, year=year)
    assert charts["pareto"] == []  # 2030: nothing
    # the biggest client of 2026 bought from both distributors: 1,005 + 503
    assert selectors.segment_charts(principal=admin, year=2026)["pareto"][0]["volume"] == 1508


def _counts_the_year(sql: str) -> bool:
    return '"sales_clientsegment"' in sql and 'COUNT("sales_clientsegment"."id")' in sql


@pytest.mark.parametrize("url", ["sales:segment_list", "sales:segment_charts"])
def test_the_network_pages_count_from_the_totals_not_the_years_segments(world, client, url):
    _segments(world, 6, years=(2026,))
    client.force_login(world.user("admin"))
    path = reverse(url) + "?year=2026"
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(path)
    assert page.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if _counts_the_year(q["sql"])]
    if url == "sales:segment_charts":  # the clients are ranked by their segments alone, then named
        (ranking,) = [q["sql"] for q in queries.captured_queries if '"volume")' in q["sql"] and "SUM(" in q["sql"]
                      and '"clients_corporateclient"' in q["sql"]]
        ranked = ranking.split("IN (SELECT", 1)[1].split("LIMIT", 1)[0]
        assert "SUM(" in ranked and '"clients_corporateclient"' not in ranked
    # a distributor's page still sums its own segments (the totals are the network's)
    client.force_login(world.user("dist_head"))
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert not any('"sales_segmentclasstotal"' in q["sql"] for q in queries.captured_queries)


# ------------------------------------------------------------------------ the segments list's count (GET /segments)


def _page(api, query=""):
    with CaptureQueriesContext(connection) as ctx:
        answer = api.get(f"/api/v1/segments?limit=1{query}")
    assert answer.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and '"sales_clientsegment"' in q["sql"]]
    body = answer.json()
    return (body["count"], body["count_is_capped"]), counts


def test_the_whole_networks_list_count_comes_from_the_totals(network, api_as, monkeypatch):
    world, clients = network
    _apply(world, clients, IMPORTS)
    years = dict(ClientSegment.objects.order_by().values_list("year").annotate(n=Count("pk")))
    assert sum(years.values()) >= 4
    admin = api_as(world.user("admin"))
    admin.get("/api/v1/segments?limit=1")  # the rate window
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 2)
    counted, counts = _page(admin)
    assert counted == (2, True)
    assert counts == []  # the totals told it: no segment was counted
    # One year: its own totals answer.
    year = max(years, key=years.get)
    counted, counts = _page(admin, f"&year={year}")
    assert counted == (2, True) and counts == []
    # Any other filter: the segments are counted (the same answer).
    counted, counts = _page(admin, f"&distributor_id={world.own.pk}")
    assert counted[1] is (ClientSegment.objects.filter(distributor=world.own).count() > 2) and len(counts) == 1


def test_under_the_cap_the_list_count_is_the_totals_exactly(network, api_as, monkeypatch):
    world, clients = network
    _apply(world, clients, IMPORTS)
    # a year of several labels and classes: the count sums them all
    ClientSegment.objects.filter(pk__in=ClientSegment.objects.order_by("pk").values("pk")[:2]).update(
        label="dormant", abc_class="A")
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 1000)
    admin = api_as(world.user("admin"))
    counted, counts = _page(admin)
    assert counted == (ClientSegment.objects.count(), False) and counts == []
    years = set(ClientSegment.objects.values_list("year", flat=True))
    assert any(SegmentClassTotal.objects.filter(year=year).count() > 1 for year in years)
    for year in years:
        counted, counts = _page(admin, f"&year={year}")
        assert counted == (ClientSegment.objects.filter(year=year).count(), False) and counts == []
    # a wrong total is a wrong count: the list reads it, it does not recount
    first = SegmentClassTotal.objects.order_by("year", "label", "abc_class").first()
    SegmentClassTotal.objects.filter(pk=first.pk).update(segments=F("segments") + 1)
    assert _page(admin)[0] == (ClientSegment.objects.count() + 1, False)


def test_a_distributors_list_count_never_reads_the_networks_totals(network, api_as, monkeypatch):
    world, clients = network
    _apply(world, clients, IMPORTS)
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 1)
    with CaptureQueriesContext(connection) as ctx:
        body = api_as(world.user("dist_head")).get("/api/v1/segments?limit=1").json()
    assert not any('"sales_segmentclasstotal"' in q["sql"] for q in ctx.captured_queries)
    own = ClientSegment.objects.filter(distributor=world.own).count()
    assert (body["count"], body["count_is_capped"]) == (min(own, 1), own > 1)


def test_a_year_never_seen_has_no_segments():
    assert segment_totals.stored_segments(year=2099) == 0
    assert segment_totals.stored_segments() == 0


def test_the_segment_table_keeps_one_set_of_triggers():
    """The per-year tally (sales 0012) is gone with its triggers and functions (0014): every segment write keeps the
    totals only. (On PostgreSQL the test database is migrated; SQLite's is built from the models.)"""
    assert "sales_segmenttally" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'sales_clientsegment'::regclass "
                           "AND NOT tgisinternal")
            triggers = {name for (name,) in cursor.fetchall()}
            cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'sales_segment_%%'")
            assert {name for (name,) in cursor.fetchall()} == triggers
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'sales_clientsegment'")
            triggers = {name for (name,) in cursor.fetchall()}
    kept = {"added", "removed", "changed"} | ({"emptied"} if connection.vendor == "postgresql" else set())
    assert triggers == {f"sales_segment_totals_{name}" for name in kept}

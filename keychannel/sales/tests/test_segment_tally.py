"""The segment tally (sales/segment_tally.py, issue 22): segments per year, kept by triggers on the segment table,
so it equals a recount whatever wrote the segments (the recompute's set-based SQL, an import, a deleted client, the
ORM, a raw statement); and the segments list, for the whole network, reads its count from it instead of counting
up to 100,001 segments on every first page."""

import random
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.core.pagination import CappedCountPagination
from keychannel.sales import segment_tally
from keychannel.sales.models import ClientSegment, SegmentTally
from keychannel.sales.tests import test_incremental_segments as incremental
from keychannel.sales.tests.test_incremental_segments import _apply
from keychannel.sales.tests.test_segment_writes import IMPORTS, _full_recompute

network = incremental.network  # the fixture: two distributors, four clients each, a product code each

pytestmark = pytest.mark.django_db


def _stored() -> dict:
    return dict(SegmentTally.objects.values_list("year", "segment_count"))


def _check():
    assert segment_tally.differences() == []


def test_the_tally_equals_a_recount_after_random_writes(network):
    world, clients = network
    rng = random.Random(11)
    _apply(world, clients, IMPORTS)
    _check()
    assert sum(_stored().values()) == ClientSegment.objects.count() > 0
    for _step in range(12):
        segments = list(ClientSegment.objects.order_by("pk"))
        op = rng.choice(["recompute", "delete_some", "move_year", "create", "bulk", "delete_client", "raw", "empty"])
        if op == "recompute":
            ClientSegment.objects.all().delete() if rng.random() < 0.5 else None
            _full_recompute()  # the set-based INSERT … SELECT / DELETE of segmentation.recompute
        elif op == "delete_some" and segments:
            ClientSegment.objects.filter(pk__in=[s.pk for s in rng.sample(segments, min(2, len(segments)))]).delete()
        elif op == "move_year" and segments:
            ClientSegment.objects.filter(pk=rng.choice(segments).pk).update(year=rng.choice([2019, 2020]))
        elif op in ("create", "bulk"):
            taken = {(s.distributor_id, s.client_id, s.year) for s in segments}
            year = rng.choice([2018, 2026])
            fresh = [ClientSegment(distributor=world.own, client=client, year=year, abc_class="C", label="maintain")
                     for (index, _n), client in clients.items() if index == 0
                     and (world.own.pk, client.pk, year) not in taken]
            if op == "create" and fresh:
                fresh[0].save()
            else:
                ClientSegment.objects.bulk_create(fresh)
        elif op == "delete_client" and segments:
            rng.choice(segments).client.delete()  # the collector deletes its segments
        elif op == "raw" and segments:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {ClientSegment._meta.db_table} WHERE id = %s", [segments[-1].pk])
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
    kept = _stored()
    SegmentTally.objects.all().delete()
    with pytest.raises(Exception, match="differ"):
        call_command("sales_segment_tally_rebuild", "--check")
    call_command("sales_segment_tally_rebuild")
    assert _stored() == kept
    call_command("sales_segment_tally_rebuild", "--check")


def _page(api, query=""):
    with CaptureQueriesContext(connection) as ctx:
        answer = api.get(f"/api/v1/segments?limit=1{query}")
    assert answer.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and '"sales_clientsegment"' in q["sql"]]
    body = answer.json()
    return (body["count"], body["count_is_capped"]), counts


def test_the_whole_networks_count_comes_from_the_tally(network, api_as, monkeypatch):
    world, clients = network
    _apply(world, clients, IMPORTS)
    years = _stored()
    assert sum(years.values()) >= 4
    admin = api_as(world.user("admin"))
    admin.get("/api/v1/segments?limit=1")  # the rate window
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 2)
    counted, counts = _page(admin)
    assert counted == (2, True)
    assert counts == []  # the tally told it: no segment was counted
    # One year: its own tally row answers.
    year = max(years, key=years.get)
    counted, counts = _page(admin, f"&year={year}")
    assert counted == (2, True) and counts == []
    # Any other filter: the segments are counted (the same answer).
    counted, counts = _page(admin, f"&distributor_id={world.own.pk}")
    assert counted[1] is (ClientSegment.objects.filter(distributor=world.own).count() > 2) and len(counts) == 1


def test_under_the_cap_the_count_is_the_tallys_exactly(network, api_as, monkeypatch):
    world, clients = network
    _apply(world, clients, IMPORTS)
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 1000)
    counted, counts = _page(api_as(world.user("admin")))
    assert counted == (ClientSegment.objects.count(), False) and counts == []
    year = ClientSegment.objects.values_list("year", flat=True).first()
    counted, counts = _page(api_as(world.user("admin")), f"&year={year}")
    assert counted == (ClientSegment.objects.filter(year=year).count(), False) and counts == []


def test_a_distributors_count_never_reads_the_networks_tally(network, api_as, monkeypatch):
    world, clients = network
    _apply(world, clients, IMPORTS)
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 1)
    with CaptureQueriesContext(connection) as ctx:
        body = api_as(world.user("dist_head")).get("/api/v1/segments?limit=1").json()
    assert not any('"sales_segmenttally"' in q["sql"] for q in ctx.captured_queries)
    own = ClientSegment.objects.filter(distributor=world.own).count()
    assert (body["count"], body["count_is_capped"]) == (min(own, 1), own > 1)


def test_a_year_never_seen_has_no_segments():
    assert segment_tally.stored_segments(year=date.today().year + 50) == 0

"""The whole network's sole-channel index is kept per process behind a stamp of its inputs (issue 22): the
distributors list no longer works out every cell on each request, and every change of coverage, distributors,
territories or product lines, by any ORM path, gives the next request a fresh index."""

import random
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.network import selectors
from keychannel.network.choices import TerritoryLevel
from keychannel.network.models import Coverage, Distributor, Territory
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

D = date(2026, 6, 1)


def _fresh(on_date=D):
    return selectors.SoleChannelIndex.build(on_date=on_date)


def _same(index, fresh):
    assert (index.cells, index.ancestors) == (fresh.cells, fresh.ancestors)


def _cover(distributor, territory, line, exclusive=False, end=None):
    return Coverage.objects.create(distributor=distributor, territory=territory, product_line=line,
                                   valid_from=date(2026, 1, 1), valid_to=end, exclusive=exclusive)


def test_the_index_follows_every_kind_of_change():
    region = TerritoryFactory(code="r", level=TerritoryLevel.REGION)
    counties = [TerritoryFactory(code=f"k{i}", level=TerritoryLevel.COUNTY, parent=region) for i in range(3)]
    lines = [ProductLineFactory() for _ in range(2)]
    dists = [DistributorFactory(code=f"s{i}") for i in range(4)]
    for d in dists:
        d.product_lines.add(*lines)
    rng = random.Random(22)
    places = [region, *counties]
    changes = [
        lambda: _cover(rng.choice(dists), rng.choice(places), rng.choice(lines), exclusive=rng.random() < 0.3),
        lambda: Coverage.objects.filter(pk=rng.choice(list(Coverage.objects.values_list("pk", flat=True)) or [0]))
        .update(exclusive=rng.random() < 0.5),
        lambda: Coverage.objects.filter(pk=rng.choice(list(Coverage.objects.values_list("pk", flat=True)) or [0]))
        .update(valid_to=date(2026, 3, 1)),
        lambda: Coverage.objects.filter(pk=rng.choice(list(Coverage.objects.values_list("pk", flat=True)) or [0]))
        .delete(),
        lambda: _save(rng.choice(dists), active=rng.random() < 0.6),
        lambda: Distributor.objects.filter(pk=rng.choice(dists).pk).update(active=rng.random() < 0.6),
        lambda: Territory.objects.filter(pk=rng.choice(counties).pk).update(parent=rng.choice([region, None])),
        lambda: _save(rng.choice(lines), active=rng.random() < 0.7),
        lambda: TerritoryFactory(code=f"n{rng.randint(0, 10**6)}", level=TerritoryLevel.CITY, parent=rng.choice(counties)),
    ]
    for _ in range(60):
        rng.choice(changes)()
        _same(selectors.sole_channel_index(on_date=D), _fresh())
    assert Coverage.objects.exists()


def _save(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


def test_a_rolled_back_change_is_not_served_afterwards():
    from django.db import transaction

    region = TerritoryFactory(code="r", level=TerritoryLevel.REGION)
    line = ProductLineFactory()
    a, b = DistributorFactory(code="a"), DistributorFactory(code="b")
    _cover(a, region, line)
    assert selectors.sole_channel_index(on_date=D).distributor_is_sole(a.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        _cover(b, region, line)
        assert not selectors.sole_channel_index(on_date=D).distributor_is_sole(a.pk)  # overlap inside
        raise RuntimeError
    assert selectors.sole_channel_index(on_date=D).distributor_is_sole(a.pk)


def test_the_distributors_list_reuses_the_index(world, api_as):
    line = world.product_line
    _cover(world.own, world.territory, line)
    client = api_as(world.user("admin"))
    first = client.get("/api/v1/distributors?limit=50").json()
    assert {row["code"]: row["sole_channel"] for row in first["items"]} == {"da": True, "db": False}
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/api/v1/distributors?limit=50").json()
    assert again == first
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    # The stamp reads the four input tables in one statement; no coverage row, territory or cell is read again.
    assert sum("network_coverage" in q["sql"] for q in ctx.captured_queries) == 1
    assert 'FROM "network_territory" ORDER BY' not in tables
    # A change is seen by the next request.
    _cover(world.other, world.territory, line)
    after = client.get("/api/v1/distributors?limit=50").json()
    assert {row["code"]: row["sole_channel"] for row in after["items"]} == {"da": False, "db": False}


def test_the_whole_networks_list_counts_from_the_stamp_it_reads_for_the_flags(world, api_as, monkeypatch):
    """Issue 22: the whole network's list counted every distributor again (a statement of its own) where the
    sole-channel stamp, read for the flags, counts them already. A filtered list, or a narrower reach, counts."""
    from keychannel.core.pagination import BoundedPagination

    for _ in range(3):
        DistributorFactory()
    admin = api_as(world.user("admin"))
    admin.get("/api/v1/me")  # the token's first use
    total = Distributor.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        body = admin.get("/api/v1/distributors?limit=2").json()
    assert (body["count"], body["count_is_capped"]) == (total, False)
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*) FROM")]
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 2)
    assert admin.get("/api/v1/distributors?limit=1").json()["count_is_capped"] is True
    monkeypatch.undo()
    with CaptureQueriesContext(connection) as ctx:
        body = admin.get("/api/v1/distributors?limit=1&q=zzz-none").json()
    assert body["count"] == 0
    with CaptureQueriesContext(connection) as ctx:
        body = admin.get("/api/v1/distributors?limit=1&kind=" + world.own.kind).json()
    assert body["count"] == Distributor.objects.filter(kind=world.own.kind).count()
    assert [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*) FROM")]
    head = api_as(world.user("dist_head")).get("/api/v1/distributors?limit=50").json()
    assert head["count"] == 1

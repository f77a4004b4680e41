import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.core.tests.factories import OrganizationFactory
from keychannel.network.choices import AlignmentQuadrant, Sharing
from keychannel.network.models import Distributor
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("goals", "methods", "quadrant"),
    [
        (Sharing.YES, Sharing.YES, AlignmentQuadrant.PARTNER),
        (Sharing.PARTLY, Sharing.NO, AlignmentQuadrant.GOALS_NOT_METHODS),
        (Sharing.NO, Sharing.YES, AlignmentQuadrant.METHODS_NOT_GOALS),
        (Sharing.NO, Sharing.NO, AlignmentQuadrant.NEITHER),
    ],
)
def test_alignment_quadrant(goals, methods, quadrant):
    assert Distributor(shares_goals=goals, shares_methods=methods).alignment_quadrant == quadrant


def test_head_lists_exactly_own_distributor_in_api_and_page(world, api_as, login):
    body = api_as(world.user("dist_head")).get("/api/v1/distributors").json()
    assert body["count"] == 1 and [d["id"] for d in body["items"]] == [world.own.pk]
    assert body["items"][0]["distributor_id"] == world.own.pk
    assert api_as(world.user("dist_head")).get(f"/api/v1/distributors/{world.other.pk}").status_code == 404
    page = login(world.user("dist_head")).get(reverse("network:distributor_list"))
    assert world.own.legal_name.encode() in page.content and world.other.legal_name.encode() not in page.content


def test_api_filters_and_validation(world, api_as):
    client = api_as(world.user("admin"))
    world.other.stance = "resistant"
    world.other.save()
    items = client.get("/api/v1/distributors?stance=resistant").json()["items"]
    assert [d["code"] for d in items] == ["db"]
    assert client.get("/api/v1/distributors?stance=bogus").status_code == 422
    bad = client.patch(f"/api/v1/distributors/{world.own.pk}", {"employees": -4}, content_type="application/json")
    assert bad.status_code == 422
    world.own.refresh_from_db()
    assert world.own.employees == 0


def test_channel_manager_may_only_change_segments(world, api_as):
    client = api_as(world.user("channel_manager"))
    response = client.patch(
        f"/api/v1/distributors/{world.own.pk}", {"stance": "active", "legal_name": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 200
    world.own.refresh_from_db()
    assert world.own.stance == "active" and world.own.legal_name == "Alfa Distribuție SRL"


def _grow(n):
    line = ProductLineFactory()
    for _ in range(n):
        d = DistributorFactory(organization=OrganizationFactory())
        d.product_lines.add(line)


def test_list_query_count_does_not_grow(world, api_as, login):
    from keychannel.network.selectors import _WHOLE_NETWORK

    def count(fn):
        # Each measure builds the sole-channel index afresh: the per-process one may hold an earlier test's network
        # with the same stamp (it did in a full run: 5 statements, then 8 after the growth rebuilt it).
        _WHOLE_NETWORK.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    api = api_as(world.user("admin"))
    page = login(world.user("admin"))
    api.get("/api/v1/me")  # the token's first use records its last-used time once
    small = (count(lambda: api.get("/api/v1/distributors")), count(lambda: page.get(reverse("network:distributor_list"))))
    _grow(30)
    large = (count(lambda: api.get("/api/v1/distributors")), count(lambda: page.get(reverse("network:distributor_list"))))
    assert small == large

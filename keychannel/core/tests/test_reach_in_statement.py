"""Issue 22: a distributor user's reach (their organisation's distributors) is read in the statement that reads
their membership (the API token's, a page's), not in a round trip of its own; it is the same reach for every role,
and never older than the request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.core.choices import Role
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

_OWN_READ = 'FROM "network_distributor" WHERE "network_distributor"."organization_id"'


def _reach_reads(ctx):
    return [q["sql"] for q in ctx.captured_queries if _OWN_READ in q["sql"] and "ARRAY" not in q["sql"]]


@pytest.mark.parametrize("role", [str(role) for role in Role])
def test_the_reach_read_with_the_membership_is_the_providers_reach(world, role):
    user = world.user(role)
    principal = Principal.for_user(user)
    by_providers = Principal(user=user, role=principal.role, organization_id=principal.organization_id)
    assert principal.distributor_ids == by_providers.distributor_ids
    if principal.distributor_ids is not None:
        assert principal.own_distributor_id == by_providers.own_distributor_id


@pytest.mark.parametrize("role", ["dist_head", "dist_sales"])
def test_a_distributor_users_reach_comes_with_the_statement_that_authenticates(world, api_as, login, role):
    caller = api_as(world.user(role))
    caller.get("/api/v1/me")  # the rate window
    with CaptureQueriesContext(connection) as ctx:
        answer = caller.get("/api/v1/distributors?limit=50")
    assert [row["id"] for row in answer.json()["items"]] == [world.own.pk]
    page = login(world.user(role))
    page.get(reverse("deals:opportunity_list"))
    with CaptureQueriesContext(connection) as page_ctx:
        assert page.get(reverse("deals:opportunity_list")).status_code == 200
    if connection.vendor == "postgresql":
        assert not _reach_reads(ctx), _reach_reads(ctx)
        assert not _reach_reads(page_ctx), _reach_reads(page_ctx)


def test_a_distributor_moved_to_another_organisation_leaves_its_old_users_reach_at_once(world, api_as, login):
    head = api_as(world.user("dist_head"))
    assert [row["id"] for row in head.get("/api/v1/distributors").json()["items"]] == [world.own.pk]
    page = login(world.user("dist_head"))
    assert page.get(reverse("network:distributor_detail", args=[world.own.pk])).status_code == 200
    world.own.organization = OrganizationFactory(name="Alfa moved")
    world.own.save()
    assert head.get("/api/v1/distributors").json()["items"] == []
    assert head.get(f"/api/v1/distributors/{world.own.pk}").status_code == 404
    assert page.get(reverse("network:distributor_detail", args=[world.own.pk])).status_code == 404
    theirs = api_as(world.other_users["dist_head"])
    assert [row["id"] for row in theirs.get("/api/v1/distributors").json()["items"]] == [world.other.pk]
    beta = world.other.organization  # one distributor an organisation: Beta's goes elsewhere, Alfa's comes in
    world.other.organization = OrganizationFactory(name="Beta moved")
    world.other.save()
    world.own.organization = beta
    world.own.save()
    assert [row["id"] for row in theirs.get("/api/v1/distributors").json()["items"]] == [world.own.pk]

"""The rules on the sync paths (docs/rules.md): a bulk write or an upsert by external id is a path like any other.

``PUT /api/v1/opportunities/by-external-id/{external_id}`` and ``POST /api/v1/opportunities/bulk`` go through the
registration gate and the assignment rule; ``PUT /api/v1/clients/by-external-id/{external_id}`` and
``POST /api/v1/clients/bulk`` through the watched-duplicates rule.
"""

import json

import pytest

from keychannel.channel.choices import ConflictKind
from keychannel.channel.models import Conflict
from keychannel.channel.tests.test_gate import iasi  # noqa: F401  (fixture)
from keychannel.channel.tests.test_watched_duplicates import served  # noqa: F401  (fixture)
from keychannel.clients.models import CorporateClient
from keychannel.core.models import SecurityEvent
from keychannel.deals.models import Opportunity

pytestmark = pytest.mark.django_db


def _json(api, method, url, body=None):
    return api.generic(method, url, json.dumps(body or {}), content_type="application/json")


def _gated(world, **kw):
    return {"title": "Pumps", "client_id": world.iasi_client.pk, "stage": "negotiation", "value": "900000",
            "product_line_ids": [world.pumps.pk], **kw}


def test_the_gate_holds_on_the_deal_upsert_and_bulk(iasi, api_as):  # noqa: F811
    api = api_as(iasi.user("dist_sales"))
    upsert = _json(api, "PUT", "/api/v1/opportunities/by-external-id/P-1", _gated(iasi))
    assert upsert.status_code == 422, upsert.content
    assert "exclusive_other" in upsert.json()["rules"] and upsert.json()["registration_url"]
    bulk = _json(api, "POST", "/api/v1/opportunities/bulk", {"items": [
        {"title": "First stage is free", "client_id": iasi.iasi_client.pk}, _gated(iasi)]})
    assert bulk.status_code == 422, bulk.content
    error = bulk.json()["detail"][0]
    assert error["loc"] == ["body", "items", 1, "registration"] and "exclusive_other" in error["rules"]
    assert error["registration_url"].startswith("/channel/registrations/new/?")
    assert not Opportunity.objects.exists()


def test_the_assignment_rule_holds_on_the_deal_upsert_and_bulk(world, api_as):
    from keychannel.deals.tests.factories import ClientFactory

    client = ClientFactory(distributor=world.own)
    head = api_as(world.user("dist_head"))
    kam = world.user("embedded_kam")
    upsert = _json(head, "PUT", "/api/v1/opportunities/by-external-id/A-1",
                   {"title": "X", "client_id": client.pk, "owner_id": kam.pk})
    assert upsert.status_code == 403
    bulk = _json(head, "POST", "/api/v1/opportunities/bulk", {"items": [
        {"title": "Fine", "client_id": client.pk}, {"title": "X", "client_id": client.pk, "kam_id": kam.pk}]})
    assert bulk.status_code == 403
    assert not Opportunity.objects.exists()
    # Both refusals are on record for review, although the bulk's transaction rolled back.
    assert SecurityEvent.objects.filter(username=world.user("dist_head").username).count() == 2


def test_watched_duplicates_hold_on_the_client_upsert_and_bulk(served, api_as):  # noqa: F811
    head = api_as(served.user("dist_head"))
    body = {"legal_name": "Metalurgica Moldova Grup SRL", "territory_id": served.territory.pk}
    assert _json(head, "PUT", "/api/v1/clients/by-external-id/W-1", body).status_code == 409
    refused = _json(head, "POST", "/api/v1/clients/bulk", {"items": [body]})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "items", 0, "legal_name"]
    assert not Conflict.objects.exists()
    made = _json(head, "PUT", "/api/v1/clients/by-external-id/W-1", {**body, "confirm_not_duplicate": True})
    assert made.status_code == 201, made.content
    conflict = Conflict.objects.get(kind=ConflictKind.POSSIBLE_DUPLICATE)
    assert conflict.client_id == made.json()["id"]
    bulk = _json(head, "POST", "/api/v1/clients/bulk", {"items": [{**body, "confirm_not_duplicate": True,
                                                                     "external_id": "W-2"}]})
    assert bulk.status_code == 200, bulk.content
    assert Conflict.objects.filter(kind=ConflictKind.POSSIBLE_DUPLICATE).count() == 2
    assert CorporateClient.objects.filter(external_id__in=["W-1", "W-2"], distributor=served.own).count() == 2

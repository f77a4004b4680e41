"""Deals and contracts for an ERP (docs/api.md, "Sync"): external ids, upsert by external id, bulk writes.
The registration gate and the assignment rule on these paths: keychannel/channel/tests/test_sync_paths.py."""

import json

import pytest

from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _json(api, method, url, body=None):
    return api.generic(method, url, json.dumps(body or {}), content_type="application/json")


def test_a_deal_upsert_finds_its_own_books_deal_only(world, api_as):
    ours = ClientFactory(distributor=world.own)
    theirs = OpportunityFactory(client=ClientFactory(distributor=world.other), distributor=world.other,
                                owner=world.other_users["dist_sales"], external_id="D-7", title="Theirs")
    sales = api_as(world.user("dist_sales"))
    body = {"title": "Compresoare hala 2", "client_id": ours.pk, "value": "1000"}
    made = _json(sales, "PUT", "/api/v1/opportunities/by-external-id/D-7", body)
    assert made.status_code == 201, made.content
    assert made.json()["external_id"] == "D-7" and made.json()["distributor_id"] == world.own.pk
    again = _json(sales, "PUT", "/api/v1/opportunities/by-external-id/D-7", {**body, "value": "2500"})
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    assert again.json()["value"] in ("2500", "2500.00")
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"
    assert [d["id"] for d in sales.get("/api/v1/opportunities", {"external_id": "D-7"}).json()["items"]] == [
        made.json()["id"]]
    # An external id names one deal of one client.
    moved = _json(sales, "PUT", "/api/v1/opportunities/by-external-id/D-7",
                  {**body, "client_id": ClientFactory(distributor=world.own).pk})
    assert moved.status_code == 422 and moved.json()["detail"][0]["loc"] == ["body", "client_id"]
    assert _json(sales, "PUT", "/api/v1/opportunities/by-external-id/%20", body).status_code == 422


def test_deal_bulk_is_all_or_nothing(world, api_as):
    ours = ClientFactory(distributor=world.own)
    sales = api_as(world.user("dist_sales"))
    items = [{"title": "Unu", "client_id": ours.pk}, {"title": "Doi", "client_id": ours.pk, "stage": "won"},
             {"title": "Trei", "client_id": ClientFactory(distributor=world.other).pk}]
    refused = _json(sales, "POST", "/api/v1/opportunities/bulk", {"items": items})
    assert refused.status_code == 422, refused.content
    assert [e["loc"][:4] for e in refused.json()["detail"]] == [["body", "items", 1, "stage"],
                                                                ["body", "items", 2, "client_id"]]
    assert not Opportunity.objects.exists()
    done = _json(sales, "POST", "/api/v1/opportunities/bulk", {"items": [items[0], {**items[0], "title": "Doi"}]})
    assert done.status_code == 200 and [r["created"] for r in done.json()["items"]] == [True, True]
    assert Opportunity.objects.filter(client=ours).count() == 2


def test_contract_and_distributor_external_ids(world, api_as):
    from keychannel.deals.tests.factories import ContractFactory

    contract = ContractFactory(client=ClientFactory(distributor=world.own), distributor=world.own)
    head = api_as(world.user("dist_head"))
    patched = _json(head, "PATCH", f"/api/v1/contracts/{contract.pk}", {"external_id": " K-1 "})
    assert patched.status_code in (200, 403)
    pm = api_as(world.user("program_manager"))
    assert _json(pm, "PATCH", f"/api/v1/contracts/{contract.pk}", {"external_id": " K-1 "}).json()["external_id"] == "K-1"
    assert [c["id"] for c in pm.get("/api/v1/contracts", {"external_id": "K-1"}).json()["items"]] == [contract.pk]
    d = _json(pm, "PATCH", f"/api/v1/distributors/{world.own.pk}", {"external_id": "ERP-DA"})
    assert d.status_code == 200 and d.json()["external_id"] == "ERP-DA"
    taken = _json(pm, "PATCH", f"/api/v1/distributors/{world.other.pk}", {"external_id": "ERP-DA"})
    assert taken.status_code == 422 and taken.json()["detail"][0]["loc"] == ["body", "external_id"]
    assert [d["id"] for d in pm.get("/api/v1/distributors", {"external_id": "ERP-DA"}).json()["items"]] == [world.own.pk]

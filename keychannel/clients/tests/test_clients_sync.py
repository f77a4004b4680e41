"""Clients for an ERP (docs/api.md, "Sync"): external ids per book, upsert by external id, bulk writes."""

import json

import pytest

from keychannel.clients.models import CorporateClient
from keychannel.clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _json(api, method, url, body=None, **headers):
    return api.generic(method, url, json.dumps(body or {}), content_type="application/json", **headers)


def test_an_external_id_belongs_to_its_book_and_never_reaches_another(world, api_as):
    theirs = ClientFactory(distributor=world.other, legal_name="Beta Client SA", external_id="C-100")
    head = api_as(world.user("dist_head"))
    # The same external id in our book is another record: created, theirs untouched and never shown.
    made = _json(head, "PUT", "/api/v1/clients/by-external-id/C-100", {"legal_name": "Alfa Client SRL"})
    assert made.status_code == 201, made.content
    assert made.json()["external_id"] == "C-100" and made.json()["distributor_id"] == world.own.pk
    theirs.refresh_from_db()
    assert theirs.legal_name == "Beta Client SA"
    listed = head.get("/api/v1/clients", {"external_id": "C-100"}).json()["items"]
    assert [row["id"] for row in listed] == [made.json()["id"]]
    # The same again updates ours (only the fields sent), idempotent.
    again = _json(head, "PUT", "/api/v1/clients/by-external-id/C-100", {"legal_name": "Alfa Client SRL", "city": "Iași"})
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"] and again.json()["city"] == "Iași"
    assert CorporateClient.objects.filter(external_id="C-100").count() == 2
    # Within one book an external id is unique: a second client cannot take it (a field error, nothing changed).
    other = _json(head, "POST", "/api/v1/clients", {"legal_name": "Gamma SRL", "external_id": "C-100"})
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["body", "external_id"]
    assert not CorporateClient.objects.filter(legal_name="Gamma SRL").exists()
    # A blank external id names nothing.
    blank = _json(head, "PUT", "/api/v1/clients/by-external-id/%20", {"legal_name": "Blank SRL"})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "external_id"]


def test_the_manufacturer_names_the_book_and_direct_clients_are_a_book_of_their_own(world, api_as):
    pm = api_as(world.user("program_manager"))
    direct = _json(pm, "PUT", "/api/v1/clients/by-external-id/M-1", {"legal_name": "Direct SA"})
    in_book = _json(pm, "PUT", "/api/v1/clients/by-external-id/M-1", {"legal_name": "Own SA",
                                                                         "distributor_id": world.own.pk})
    assert direct.status_code == 201 and in_book.status_code == 201
    assert direct.json()["distributor_id"] is None and in_book.json()["distributor_id"] == world.own.pk
    # The head of own finds its book's M-1, not the manufacturer's direct one.
    head = api_as(world.user("dist_head"))
    found = _json(head, "PUT", "/api/v1/clients/by-external-id/M-1", {"legal_name": "Own SA", "industry": "Food"})
    assert found.status_code == 200 and found.json()["id"] == in_book.json()["id"]


def test_bulk_is_all_or_nothing_with_errors_by_item_and_field(world, api_as, settings):
    ClientFactory(distributor=world.own, legal_name="Existing SRL", tax_id="5550100")
    head = api_as(world.user("dist_head"))
    items = [{"legal_name": "Nou Unu SRL", "external_id": "B-1"}, {"legal_name": "Nou Doi SRL", "tax_id": "RO 5550100"},
             {"legal_name": "Nou Trei SRL", "employees": 5}, {"legal_name": "Nou Patru SRL", "external_id": "B-1"}]
    refused = _json(head, "POST", "/api/v1/clients/bulk", {"items": items})
    assert refused.status_code == 422, refused.content
    locs = [error["loc"][:4] for error in refused.json()["detail"]]
    assert locs == [["body", "items", 1, "tax_id"]], refused.json()
    assert not CorporateClient.objects.filter(legal_name__startswith="Nou").exists()

    items[1]["tax_id"] = "5550101"
    done = _json(head, "POST", "/api/v1/clients/bulk", {"items": items})
    assert done.status_code == 200, done.content
    rows = done.json()["items"]
    assert [row["index"] for row in rows] == [0, 1, 2, 3]
    # Items 0 and 3 share an external id: the second updates the client the first made.
    assert rows[0]["created"] and not rows[3]["created"] and rows[0]["id"] == rows[3]["id"]
    assert CorporateClient.objects.get(pk=rows[0]["id"]).legal_name == "Nou Patru SRL"
    assert CorporateClient.objects.filter(legal_name__startswith="Nou", distributor=world.own).count() == 3
    # The cap.
    too_many = [{"legal_name": f"C {i}"} for i in range(settings.KEYCHANNEL_API_BULK_MAX + 1)]
    assert _json(head, "POST", "/api/v1/clients/bulk", {"items": too_many}).status_code == 422
    assert _json(head, "POST", "/api/v1/clients/bulk", {"items": []}).status_code == 422


def test_bulk_counts_every_item_towards_the_duplicate_check_limit(world, api_as, settings):
    settings.KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT = "3/m"
    head = api_as(world.user("dist_head"))
    items = [{"legal_name": f"Limită {i} SRL"} for i in range(4)]
    response = _json(head, "POST", "/api/v1/clients/bulk", {"items": items})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert not CorporateClient.objects.filter(legal_name__startswith="Limită").exists()

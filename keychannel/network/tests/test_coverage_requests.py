"""Issue 16: a distributor head asks for a coverage change; its channel manager is notified and decides."""

import datetime

import pytest
from django.urls import reverse

from keychannel.core.models import Notification
from keychannel.network.models import Coverage
from keychannel.network.request_models import CoverageRequest

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_the_head_asks_the_channel_manager_approves_and_the_coverage_changes(world, api_as, login):
    head = api_as(world.users["dist_head"])
    response = head.post("/api/v1/coverage-requests", {
        "distributor_id": world.own.pk, "kind": "add", "reason": "We opened a branch in Cluj",
        "territory_id": world.territory.pk, "product_line_id": world.product_line.pk, "valid_from": "2030-01-01"},
        content_type=JSON)
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    manager = world.users["channel_manager"]
    note = Notification.objects.get(recipient=manager)
    assert "da" in note.title and "branch in Cluj" in note.body
    assert not Coverage.objects.filter(distributor=world.own).exists()

    response = api_as(manager).post(f"/api/v1/coverage-requests/{request_id}/decide", {"approve": True},
                                    content_type=JSON)
    assert response.status_code == 200 and response.json()["status"] == "approved"
    coverage = Coverage.objects.get(distributor=world.own)
    assert (coverage.territory, coverage.product_line, coverage.valid_from) == (
        world.territory, world.product_line, datetime.date(2030, 1, 1))
    assert response.json()["coverage_id"] == coverage.pk
    assert Notification.objects.filter(recipient=world.users["dist_head"], title__icontains="approved").exists()
    assert api_as(manager).post(f"/api/v1/coverage-requests/{request_id}/decide", {"approve": False, "note": "x"},
                                content_type=JSON).status_code == 409

    # Ending it: asked on the page, rejected without a reason is refused, with one it stays as it was.
    page = login(world.users["dist_head"])
    response = page.post(reverse("network:coverage_request_create", args=[world.own.pk]), {
        "kind": "end", "coverage": coverage.pk, "valid_to": "2030-06-30", "reason": "Closing the branch"})
    assert response.status_code == 302
    ending = CoverageRequest.objects.get(kind="end")
    manager_page = login(manager)
    manager_page.post(reverse("network:coverage_request_decide", args=[ending.pk]), {"decision": "reject"})
    assert CoverageRequest.objects.get(pk=ending.pk).status == "pending"
    manager_page.post(reverse("network:coverage_request_decide", args=[ending.pk]),
                      {"decision": "reject", "note": "Keep it until the contract ends"})
    assert CoverageRequest.objects.get(pk=ending.pk).status == "rejected"
    assert Coverage.objects.get(pk=coverage.pk).valid_to is None
    listing = manager_page.get(reverse("network:coverage_request_list")).content.decode()
    assert "Keep it until the contract ends" in listing


def test_requests_are_checked_and_only_the_right_people_ask_and_decide(world, api_as):
    head = api_as(world.users["dist_head"])
    base = {"distributor_id": world.own.pk, "kind": "add", "reason": "Why not",
            "territory_id": world.territory.pk, "product_line_id": world.product_line.pk}
    for body in [{"reason": " "}, {"kind": "swap"}, {"territory_id": None}, {"valid_from": "2030-02-01",
                                                                              "valid_to": "2030-01-01"}]:
        assert head.post("/api/v1/coverage-requests", {**base, **body},
                         content_type=JSON).status_code == 422, body
    assert head.post("/api/v1/coverage-requests", {**base, "distributor_id": world.other.pk},
                     content_type=JSON).status_code == 404
    assert api_as(world.users["dist_sales"]).post("/api/v1/coverage-requests", base,
                                                  content_type=JSON).status_code == 403
    assert CoverageRequest.objects.count() == 0

    # Another distributor already holds exclusive rights there: the approval is refused and nothing changes.
    Coverage.objects.create(distributor=world.other, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1), exclusive=True)
    request_id = head.post("/api/v1/coverage-requests", base, content_type=JSON).json()["id"]
    assert api_as(world.users["executive"]).post(f"/api/v1/coverage-requests/{request_id}/decide",
                                                 {"approve": True}, content_type=JSON).status_code == 403
    response = api_as(world.users["channel_manager"]).post(f"/api/v1/coverage-requests/{request_id}/decide",
                                                           {"approve": True}, content_type=JSON)
    assert response.status_code == 422
    assert CoverageRequest.objects.get(pk=request_id).status == "pending"
    assert not Coverage.objects.filter(distributor=world.own).exists()


def test_the_head_keeps_its_contact_details_and_the_channel_manager_is_told(world, api_as, login):
    head = api_as(world.users["dist_head"])
    response = head.patch(f"/api/v1/distributors/{world.own.pk}/profile",
                          {"phone": "+40 264 111 222", "email": "office@alfa.example", "employees": 42},
                          content_type=JSON)
    assert response.status_code == 200 and response.json()["employees"] == 42
    world.own.refresh_from_db()
    assert (world.own.phone, world.own.email) == ("+40 264 111 222", "office@alfa.example")
    assert world.own.history.first().history_user == world.users["dist_head"]
    note = Notification.objects.get(recipient=world.users["channel_manager"])
    assert "da" in note.title and "phone" in note.body
    # The rest of the profile is the manufacturer's; bad values change nothing.
    assert head.patch(f"/api/v1/distributors/{world.own.pk}/profile", {"legal_name": "Mine SRL"},
                      content_type=JSON).status_code in (200, 422)
    world.own.refresh_from_db()
    assert world.own.legal_name == "Alfa Distribuție SRL"
    assert head.patch(f"/api/v1/distributors/{world.own.pk}/profile", {"email": "not an address"},
                      content_type=JSON).status_code == 422
    assert head.patch(f"/api/v1/distributors/{world.other.pk}/profile", {"phone": "1"},
                      content_type=JSON).status_code == 404
    assert api_as(world.users["dist_sales"]).patch(f"/api/v1/distributors/{world.own.pk}/profile", {"phone": "1"},
                                                   content_type=JSON).status_code == 403
    page = login(world.users["dist_head"])
    assert b'id="profile-edit"' in page.get(reverse("network:distributor_detail", args=[world.own.pk])).content
    response = page.post(reverse("network:distributor_profile", args=[world.own.pk]),
                         {"city": "Cluj-Napoca", "address": "Str. Fabricii 1", "phone": "+40 264 111 222",
                          "email": "office@alfa.example", "employees": "43"})
    assert response.status_code == 302
    world.own.refresh_from_db()
    assert (world.own.city, world.own.employees) == ("Cluj-Napoca", 43)

"""Issue 16: a lead nobody took is assigned by hand by the manufacturer (page and API, one service)."""

import pytest
from django.urls import reverse

from keychannel.channel.models import Lead, LeadOffer

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _orphan(world):
    lead = Lead.objects.create(company_name="Orphan SA", territory=world.territory, status="unassigned",
                               created_by=world.users["admin"])
    lead.product_lines.set([world.product_line])
    return lead


def test_the_manufacturer_assigns_a_lead_nobody_took_to_a_person_at_a_distributor(world, api_as, login):
    lead = _orphan(world)
    office = api_as(world.users["program_manager"])
    # The person must work at that distributor, and only the manufacturer hands out work.
    wrong = office.post(f"/api/v1/leads/{lead.pk}/assign", {"distributor_id": world.own.pk,
                        "assignee_id": world.other_users["dist_sales"].pk}, content_type=JSON)
    assert wrong.status_code == 422 and not LeadOffer.objects.filter(lead=lead).exists()
    head = api_as(world.users["dist_head"])
    assert head.post(f"/api/v1/leads/{lead.pk}/assign", {"distributor_id": world.own.pk},
                     content_type=JSON).status_code == 404
    done = office.post(f"/api/v1/leads/{lead.pk}/assign", {"distributor_id": world.own.pk,
                       "assignee_id": world.users["dist_sales"].pk}, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == "offered"
    assert done.json()["assignee_id"] == world.users["dist_sales"].pk
    from keychannel.core.models import Notification

    assert Notification.objects.filter(recipient=world.users["dist_sales"], url=lead.get_absolute_url()).exists()
    # Once offered it is no longer "nobody's": a second assignment is a conflict.
    assert office.post(f"/api/v1/leads/{lead.pk}/assign", {"distributor_id": world.other.pk},
                       content_type=JSON).status_code == 409
    # The distributor answers it as any offered lead.
    accepted = api_as(world.users["dist_sales"]).post(f"/api/v1/leads/{lead.pk}/accept", {}, content_type=JSON)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_the_lead_page_assigns_by_hand(world, login):
    lead = _orphan(world)
    client = login(world.users["admin"])
    page = client.get(reverse("channel:lead_detail", args=[lead.pk]))
    assert b'id="assign"' in page.content
    response = client.post(reverse("channel:lead_assign", args=[lead.pk]),
                           {"distributor": world.own.pk, "assignee": world.users["dist_head"].pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "offered" and lead.assignee == world.users["dist_head"]
    assert lead.assigned_by == world.users["admin"]

"""Mentorships and coaching, workload, consultations, coverage gaps and the channel-structure graph."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.competence import selectors, services
from keychannel.competence.choices import ConsultationStatus
from keychannel.competence.models import CoachingSession, ConsultationRequest, KamTask, Mentorship
from keychannel.competence.tests.factories import client_of, kam_at, mentor_of
from keychannel.core.choices import SecurityEventKind
from keychannel.core.models import SecurityEvent
from keychannel.core.scoping import Principal
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.network.tests.factories import DistributorFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def _json(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
        assert response.status_code == 200
    return len(ctx.captured_queries)


# ---- mentorships, sessions, workload ------------------------------------------------------------------------

def test_mentorship_sessions_and_workload(world, api_as):
    admin = api_as(world.users["admin"])
    mentor = world.users["mentor"]
    created = _json(admin, "POST", "/api/v1/mentorships",
                    {"mentor_id": mentor.pk, "distributor_id": world.other.pk, "focus": "Tenders"})
    assert created.status_code == 201 and created.json()["scope"] == "distributor"
    mentorship_id = created.json()["id"]
    # The mentor now reaches the other distributor too, and records a session there.
    assert Principal.for_user(mentor).distributor_ids == {world.own.pk, world.other.pk}
    api = api_as(mentor)
    today = timezone.localdate()
    session = {"held_on": today.isoformat(), "participants": "Ana (sales), Dan (head)", "topic": "Buying centre",
               "outcome": "Mapped 6 people", "next_step": "Meet the CFO", "next_step_due": today.isoformat()}
    assert _json(api, "POST", f"/api/v1/mentorships/{mentorship_id}/sessions", session).status_code == 201
    bad = {**session, "next_step_due": "2000-01-01"}
    assert _json(api, "POST", f"/api/v1/mentorships/{mentorship_id}/sessions", bad).status_code == 422
    assert _json(api, "POST", f"/api/v1/mentorships/{mentorship_id}/sessions",
                 {**session, "participants": ""}).status_code == 422
    assert CoachingSession.objects.count() == 1
    rows = api.get("/api/v1/mentor-workload").json()
    assert len(rows) == 1 and rows[0]["distributors"] == 2 and rows[0]["sessions_per_month"][today.strftime("%Y-%m")] == 1
    # Duplicate and invalid mentorships are refused and change nothing.
    assert _json(admin, "POST", "/api/v1/mentorships",
                 {"mentor_id": mentor.pk, "distributor_id": world.other.pk}).status_code == 422
    assert _json(admin, "POST", "/api/v1/mentorships",
                 {"mentor_id": world.users["embedded_kam"].pk, "distributor_id": world.other.pk}).status_code == 422
    assert Mentorship.objects.count() == 2


def test_deal_mentorship_names_the_mentor_on_the_deal_and_reaches_only_the_deal(world, api_as):
    mentor2 = mentor_of(world.own, "mentor-2")
    Mentorship.objects.filter(mentor=mentor2).delete()
    deal = OpportunityFactory(client=client_of(world.other, "Deal Client SA"), owner=world.users["admin"])
    response = _json(api_as(world.users["program_manager"]), "POST", "/api/v1/mentorships",
                     {"mentor_id": mentor2.pk, "distributor_id": world.other.pk, "opportunity_id": deal.pk})
    assert response.status_code == 201, response.content
    assert response.json()["scope"] == "deal" and response.json()["opportunity"]["id"] == deal.pk
    deal.refresh_from_db()
    assert deal.mentor == mentor2
    principal = Principal.for_user(mentor2)
    assert principal.distributor_ids == frozenset()  # no distributor reach from a deal mentorship
    assert api_as(mentor2).get(f"/api/v1/mentorships/{response.json()['id']}").status_code == 200
    rows = selectors.mentor_workload(principal=world.principal("admin"))["rows"]
    row = next(r for r in rows if r["mentor"] == mentor2)
    assert (row["distributors"], row["clients"], row["deals"]) == (0, 0, 1)


def test_mentorship_pages(world, login):
    page = login(world.users["mentor"])
    mentorship = Mentorship.objects.get(mentor=world.users["mentor"])
    url = reverse("competence:mentorship_detail", args=[mentorship.pk])
    response = page.post(url, {"held_on": "2026-03-02", "participants": "Sales team", "topic": "Tender plan",
                               "next_step": "Call buyer", "next_step_due": "2026-03-01"})
    assert response.status_code == 200 and b"invalid-feedback" in response.content
    assert not CoachingSession.objects.exists()
    response = page.post(url, {"held_on": "2026-03-02", "participants": "Sales team", "topic": "Tender plan"})
    assert response.status_code == 302 and CoachingSession.objects.get().recorded_by == world.users["mentor"]
    assert b"Tender plan" in page.get(url).content
    workload = page.get(reverse("competence:mentor_workload"))
    assert workload.status_code == 200 and b"workload" in workload.content
    # The head of the distributor reads the mentorship but cannot record sessions.
    head = login(world.users["dist_head"])
    assert b"session-form" not in head.get(url).content
    assert head.post(url, {"held_on": "2026-03-02", "participants": "x", "topic": "y"}).status_code == 403


def test_list_pages_and_endpoints_keep_their_query_count(world, api_as, login):
    api = api_as(world.users["admin"])
    page = login(world.users["admin"])
    api.get("/api/v1/me")
    calls = [
        lambda: api.get("/api/v1/mentorships"), lambda: page.get(reverse("competence:mentorship_list")),
        lambda: api.get("/api/v1/embedded-assignments"), lambda: page.get(reverse("competence:assignment_list")),
        lambda: api.get("/api/v1/consultations"), lambda: page.get(reverse("competence:consultation_list")),
        lambda: api.get("/api/v1/coverage-gaps"), lambda: page.get(reverse("competence:coverage_gaps")),
        lambda: api.get("/api/v1/mentor-workload"), lambda: page.get(reverse("competence:mentor_workload")),
        lambda: page.get(reverse("competence:structure")),
    ]

    def grow(n, offset):
        for i in range(n):
            d = DistributorFactory(size_tier="small")
            mentor = mentor_of(d, f"m{offset + i}")
            kam = kam_at(d, f"k{offset + i}")
            Mentorship.objects.create(mentor=mentor, distributor=d, starts_on=date(2026, 1, 1))
            CoachingSession.objects.create(mentorship=Mentorship.objects.filter(mentor=mentor).first(),
                                           participants="x", topic="y")
            c = client_of(d, f"Client {offset + i} SA", is_key_account=True)
            client_of(DistributorFactory(size_tier="small"), f"Gap {offset + i} SA", is_key_account=True)
            ConsultationRequest.objects.create(distributor=d, requested_by=world.users["admin"], recipient=kam,
                                               client=c, subject="s", message="m")

    grow(2, 0)
    small = [count_queries(c) for c in calls]
    grow(12, 100)
    assert [count_queries(c) for c in calls] == small


# ---- consultations ------------------------------------------------------------------------------------------

def test_consultation_is_a_request_until_a_manufacturer_role_makes_it_a_task(world, api_as):
    head = api_as(world.users["dist_head"])
    kam = world.users["embedded_kam"]
    client = client_of(world.own, "Fabrica Cluj SA", is_key_account=True)
    asked = _json(head, "POST", "/api/v1/consultations", {"recipient_id": kam.pk, "client_id": client.pk,
                                                          "subject": "Tender", "message": "Join us on Monday?"})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    cid = asked.json()["id"]
    # Asking somebody who is neither their KAM nor their mentor, or about another distributor's client: 422.
    assert _json(head, "POST", "/api/v1/consultations", {"recipient_id": world.users["admin"].pk,
                                                         "subject": "x", "message": "y"}).status_code == 422
    foreign = client_of(world.other, "Other Client SA")
    assert _json(head, "POST", "/api/v1/consultations", {"recipient_id": kam.pk, "client_id": foreign.pk,
                                                         "subject": "x", "message": "y"}).status_code == 422
    # The head cannot answer or convert; the KAM accepts; still no task.
    assert _json(head, "POST", f"/api/v1/consultations/{cid}/accept", {}).status_code == 403
    accepted = _json(api_as(kam), "POST", f"/api/v1/consultations/{cid}/accept", {"response": "Yes, 10:00"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert _json(api_as(kam), "POST", f"/api/v1/consultations/{cid}/decline", {}).status_code == 409
    assert not KamTask.objects.exists()
    assert _json(head, "POST", f"/api/v1/consultations/{cid}/convert", {"duty": "consult"}).status_code == 403
    assert _json(api_as(kam), "POST", f"/api/v1/consultations/{cid}/convert", {"duty": "consult"}).status_code == 403
    assert not KamTask.objects.exists()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.FORBIDDEN_WRITE, username="w-da-head",
                                        action="competence.consultation.convert").count() == 1
    task = _json(api_as(world.users["channel_manager"]), "POST", f"/api/v1/consultations/{cid}/convert",
                 {"duty": "consult", "priority": 3})
    assert task.status_code == 201 and task.json()["kam"]["id"] == kam.pk and task.json()["client"]["id"] == client.pk
    consultation = ConsultationRequest.objects.get()
    assert consultation.status == ConsultationStatus.CONVERTED and consultation.task_id == task.json()["id"]
    assert _json(api_as(world.users["admin"]), "POST", f"/api/v1/consultations/{cid}/convert",
                 {"duty": "consult"}).status_code == 403  # converted once


def test_consultation_pages(world, login):
    head = login(world.users["dist_head"])
    form = head.get(reverse("competence:consultation_create"))
    assert form.status_code == 200 and world.users["embedded_kam"].get_full_name().encode() in form.content
    response = head.post(reverse("competence:consultation_create"),
                         {"recipient": world.users["mentor"].pk, "subject": "Pricing", "message": ""})
    assert response.status_code == 200 and not ConsultationRequest.objects.exists()
    response = head.post(reverse("competence:consultation_create"),
                         {"recipient": world.users["mentor"].pk, "subject": "Pricing", "message": "How to price?"})
    consultation = ConsultationRequest.objects.get()
    assert response.status_code == 302 and consultation.recipient == world.users["mentor"]
    mentor = login(world.users["mentor"])
    detail = mentor.get(consultation.get_absolute_url())
    assert b"answer-form" in detail.content and b"convert-form" not in detail.content
    mentor.post(reverse("competence:consultation_respond", args=[consultation.pk]),
                {"decision": "decline", "response": "Ask the KAM"})
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.DECLINED
    # Salespeople see only their own requests.
    sales = login(world.users["dist_sales"])
    assert b"Pricing" not in sales.get(reverse("competence:consultation_list")).content


# ---- coverage gaps ------------------------------------------------------------------------------------------

@pytest.fixture
def gap_network(world):
    region = TerritoryFactory(name="Nord-Vest", code="nv", level="region")
    cluj = TerritoryFactory(name="Cluj County", code="cj", parent=region)
    bihor = TerritoryFactory(name="Bihor", code="bh", parent=region)
    small = DistributorFactory(code="sm", size_tier="small", territory=bihor)
    mentored_small = DistributorFactory(code="ms", size_tier="small", territory=cluj)
    kam_small = DistributorFactory(code="ks", size_tier="small", territory=bihor)
    medium = DistributorFactory(code="md", size_tier="medium", territory=bihor)
    near = mentor_of(mentored_small, "near-mentor")  # works in the same region
    far = mentor_of(world.other, "far-mentor")
    kam_at(kam_small, "kam-small")
    clients = {
        "key": client_of(small, "Gap Key SA", is_key_account=True),
        "large": client_of(small, "Gap Large SA", employees=800),
        "band": client_of(small, "Gap Band SA", revenue_band="250m_1b"),
        "tiny": client_of(small, "Tiny SRL", employees=12),
        "mentored": client_of(mentored_small, "Mentored SA", is_key_account=True),
        "kam": client_of(kam_small, "Kam Covered SA", is_key_account=True),
        "medium": client_of(medium, "Medium Dist Client SA", is_key_account=True),
        "deal": client_of(small, "Deal Covered SA", is_key_account=True),
    }
    OpportunityFactory(client=clients["deal"], owner=world.users["admin"], kam=None, mentor=far)
    return {"clients": clients, "near": near, "far": far, "small": small, "region": region}


def test_coverage_gaps_list_exactly_the_uncovered_key_and_large_clients(world, api_as, gap_network):
    clients = gap_network["clients"]
    gaps = api_as(world.users["admin"]).get("/api/v1/coverage-gaps").json()
    names = sorted(g["client"]["legal_name"] for g in gaps)
    assert names == ["Gap Band SA", "Gap Key SA", "Gap Large SA"]
    # The suggestion: the mentor who already works in the region, though the other has the same workload.
    assert {g["suggested_mentor"]["username"] for g in gaps} == {"near-mentor"}
    by_territory = api_as(world.users["admin"]).get(f"/api/v1/coverage-gaps?territory_id={world.territory.pk}")
    assert by_territory.json() == []
    # A channel manager sees the gaps of the distributors they manage only (none here).
    assert api_as(world.users["channel_manager"]).get("/api/v1/coverage-gaps").json() == []
    assert clients["tiny"].pk not in {g["client"]["id"] for g in gaps}


def test_one_click_assignment_removes_the_client_from_the_list(world, login, api_as, gap_network):
    key = gap_network["clients"]["key"]
    page = login(world.users["program_manager"])
    listing = page.get(reverse("competence:coverage_gaps"))
    assert f'id="gap-{key.pk}"'.encode() in listing.content
    response = page.post(reverse("competence:coverage_gap_assign", args=[key.pk]),
                         {"mentor": gap_network["near"].pk})
    assert response.status_code == 302
    mentorship = Mentorship.objects.get(client=key)
    assert mentorship.mentor == gap_network["near"] and mentorship.distributor == gap_network["small"]
    listing = page.get(reverse("competence:coverage_gaps"))
    assert f'id="gap-{key.pk}"'.encode() not in listing.content
    assert b"Gap Large SA" in listing.content
    # Assigning again: the client is no longer a gap.
    again = _json(api_as(world.users["admin"]), "POST", f"/api/v1/coverage-gaps/{key.pk}/assign", {})
    assert again.status_code == 409 and Mentorship.objects.filter(client=key).count() == 1
    # Distributor users and read-only roles cannot assign.
    assert login(world.users["executive"]).post(
        reverse("competence:coverage_gap_assign", args=[gap_network["clients"]["large"].pk])).status_code == 403


def test_api_assignment_uses_the_suggested_mentor(world, api_as, gap_network):
    large = gap_network["clients"]["large"]
    response = _json(api_as(world.users["admin"]), "POST", f"/api/v1/coverage-gaps/{large.pk}/assign", {})
    assert response.status_code == 201 and response.json()["mentor"]["username"] == "near-mentor"
    assert response.json()["scope"] == "client"
    gaps = services and selectors.coverage_gap_list(principal=world.principal("admin"))
    assert large.pk not in {g["client"].pk for g in gaps}


# ---- channel-structure graph --------------------------------------------------------------------------------

def test_structure_graph_shows_fig1_and_fig2_and_escapes_text(world, login):
    client_of(world.own, "<script>alert(1)</script> SA", is_key_account=True)
    mentor_of(world.other, "m-other")
    response = login(world.users["executive"]).get(reverse("competence:structure"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<script>alert(1)</script>" not in content and "\\u003Cscript\\u003E" in content
    start = content.index('id="structure-data"')
    data = json.loads(content[content.index(">", start) + 1:content.index("</script>", start)])
    kinds = {n["id"]: n for n in data["nodes"]}
    assert kinds[f"d{world.own.pk}"]["structure"] == "both"  # mentor and KAM at A
    assert kinds[f"d{world.other.pk}"]["structure"] == "fig1"
    assert data["summary"] == {"fig1": 1, "fig2": 0, "both": 1, "neither": 0}
    assert all(n["url"].startswith("/") for n in data["nodes"] if n["kind"] != "client")
    assert {"source": f"u{world.users['embedded_kam'].pk}", "target": f"d{world.own.pk}", "fig": 2} in data["links"]
    # The territory filter narrows it down.
    empty = login(world.users["admin"]).get(reverse("competence:structure") + "?territory=999999")
    assert empty.status_code == 200

"""Service cases: scoping (a distributor sees only its clients' cases), the three kinds of messages, assignment only
to the serving distributor's people, the take-over, the public pages' limits, and attainment = a direct count."""

import datetime
import json
import random
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from keychannel.core.models import SecurityEvent
from keychannel.deals.tests.factories import ClientFactory
from keychannel.service import selectors, services, tokens
from keychannel.service.choices import CaseStatus, MessageKind
from keychannel.service.models import ServiceCase
from keychannel.service.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _post(api, url, body):
    return api.post(url, json.dumps(body), content_type="application/json")


def test_a_distributor_sees_only_its_clients_cases(world, api_as):
    own, other = open_case(world, "own"), open_case(world, "other", title="Other's case")
    head = api_as(world.user("dist_head"))
    ids = [c["id"] for c in head.get("/api/v1/cases").json()["items"]]
    assert own.pk in ids and other.pk not in ids
    assert head.get(f"/api/v1/cases/{other.pk}").status_code == 404
    assert {c["id"] for c in api_as(world.user("program_manager")).get("/api/v1/cases").json()["items"]} >= {
        own.pk, other.pk}


def test_manufacturer_only_notes_never_reach_the_distributor_and_internal_notes_never_the_client(world, api_as, client,
                                                                                                 login):
    case = open_case(world)
    kam = api_as(world.user("embedded_kam"))
    assert _post(kam, f"/api/v1/cases/{case.pk}/messages", {"kind": "manufacturer", "body": "Our margin issue"}
                 ).status_code == 201
    head = api_as(world.user("dist_head"))
    assert _post(head, f"/api/v1/cases/{case.pk}/messages", {"kind": "internal", "body": "Check stock"}).status_code == 201
    # A distributor user cannot write a manufacturer-only note.
    assert _post(head, f"/api/v1/cases/{case.pk}/messages", {"kind": "manufacturer", "body": "x"}).status_code == 403
    assert _post(head, f"/api/v1/cases/{case.pk}/messages", {"kind": "public", "body": "On our way"}).status_code == 201
    bodies = [m["body"] for m in head.get(f"/api/v1/cases/{case.pk}/messages").json()]
    assert "Our margin issue" not in bodies and "Check stock" in bodies
    page = login(world.user("dist_head")).get(f"/service/{case.pk}/")
    assert page.status_code == 200 and b"Check stock" in page.content and b"Our margin issue" not in page.content
    note = case.messages.get(kind="manufacturer")
    assert login(world.user("dist_head")).get(f"/history/service/casemessage/{note.pk}/").status_code == 404
    assert login(world.user("admin")).get(f"/history/service/casemessage/{note.pk}/").status_code == 200
    assert "Our margin issue" in [m["body"] for m in kam.get(f"/api/v1/cases/{case.pk}/messages").json()]
    public = client.get(tokens.case_public_url(case))
    assert b"On our way" in public.content and b"Check stock" not in public.content
    assert b"Our margin issue" not in public.content


def test_a_distributor_user_never_assigns_a_manufacturer_person(world, api_as, login):
    case = open_case(world)
    head = api_as(world.user("dist_head"))
    refused = _post(head, f"/api/v1/cases/{case.pk}/assign", {"assignee_id": world.user("embedded_kam").pk})
    assert refused.status_code == 403
    assert SecurityEvent.objects.filter(action__contains="assign:service.servicecase.assignee").exists()
    case.refresh_from_db()
    assert case.assignee_id is None
    refused_new = _post(head, "/api/v1/cases", {
        "client_id": case.client_id, "title": "T", "description": "D", "contact_name": "N",
        "contact_email": "n@client.example", "assignee_id": world.user("mentor").pk})
    assert refused_new.status_code == 403 and ServiceCase.objects.count() == 1
    form = login(world.user("dist_head")).post(f"/service/{case.pk}/assign/", {"assignee": world.user("mentor").pk})
    assert form.status_code == 422
    ok = _post(head, f"/api/v1/cases/{case.pk}/assign", {"assignee_id": world.user("dist_sales").pk})
    assert ok.status_code == 200 and ok.json()["assignee_id"] == world.user("dist_sales").pk
    # The manufacturer may not hand a case to its own people either: it takes the case over instead.
    pm = api_as(world.user("program_manager"))
    assert _post(pm, f"/api/v1/cases/{case.pk}/assign", {"assignee_id": world.user("mentor").pk}).status_code == 422
    # A salesperson does not assign.
    assert _post(api_as(world.user("dist_sales")), f"/api/v1/cases/{case.pk}/assign",
                 {"assignee_id": world.user("dist_sales").pk}).status_code == 403


def test_the_manufacturer_takes_a_case_over(world, api_as):
    case = open_case(world)
    assert _post(api_as(world.user("dist_head")), f"/api/v1/cases/{case.pk}/takeover", {}).status_code == 403
    taken = _post(api_as(world.user("channel_manager")), f"/api/v1/cases/{case.pk}/takeover", {"reason": "Key account"})
    assert taken.status_code == 200 and taken.json()["taken_over_by_id"] == world.user("channel_manager").pk
    assert _post(api_as(world.user("program_manager")), f"/api/v1/cases/{case.pk}/takeover", {}).status_code == 409
    from keychannel.core.models import Notification

    assert Notification.objects.filter(recipient=world.user("dist_head"), title__contains="took over").exists()


def test_status_rules_and_bad_input_change_nothing(world, api_as):
    case = open_case(world)
    head = api_as(world.user("dist_head"))
    assert _post(head, f"/api/v1/cases/{case.pk}/status", {"status": "waiting_client"}).status_code == 422
    assert _post(head, f"/api/v1/cases/{case.pk}/status", {"status": "closed"}).status_code == 422
    assert _post(head, f"/api/v1/cases/{case.pk}/status", {"status": "resolved"}).status_code == 422
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    bad = _post(head, "/api/v1/cases", {"client_id": case.client_id, "title": "T", "description": "D",
                                        "contact_name": "N", "contact_email": "not-an-address"})
    assert bad.status_code == 422 and ServiceCase.objects.count() == 1


def test_public_pages_reveal_nothing_without_a_valid_token_and_are_rate_limited(world, client):
    case = open_case(world)
    assert client.get("/service/c/forged-token/").status_code == 404
    assert client.get("/service/p/forged-token/").status_code == 404
    assert tokens.case_for_token(tokens.case_token(case)) == case
    case.public_nonce = "rotated"
    case.save()
    assert client.get(tokens.case_public_url(ServiceCase.objects.get(pk=case.pk))).status_code == 200
    with override_settings(KEYCHANNEL_SERVICE_PUBLIC_RATE_LIMIT="3/h"):
        statuses = [client.get("/service/c/forged-token/", REMOTE_ADDR="10.9.9.9").status_code for _ in range(5)]
    assert statuses[:3] == [404, 404, 404] and statuses[3:] == [429, 429]


def test_a_public_reply_with_an_attachment_and_a_bad_one(world, client):
    case = open_case(world)
    url = tokens.case_public_url(case)
    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")
    assert client.post(url, {"body": "Photo of the flange", "attachment": png}).status_code == 302
    fake = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(url, {"body": "Bad file", "attachment": fake})
    assert refused.status_code == 422 and case.messages.filter(body="Bad file").count() == 0
    assert case.messages.get(body="Photo of the flange").attachment_content_type == "image/png"


def _direct_count(cases, key):
    out = {}
    for case in cases:
        if case.resolved_at is None:
            continue
        k = key(case)
        total, met = out.get(k, (0, 0))
        out[k] = (total + 1, met + (not case.response_breached and not case.resolution_breached))
    return out


def test_attainment_equals_a_direct_count_over_the_cases(world):
    """Random cases, some resolved in time, some late, some open: every grouping equals a count in Python."""
    rng = random.Random(20)
    from keychannel.deals.models import CorporateTier

    clients = [ClientFactory(distributor=world.distributor(side), territory=world.territory)
               for side in ("own", "other", "own")]
    start = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
    for i in range(24):
        opened = start + datetime.timedelta(days=rng.randint(0, 150), hours=rng.randint(0, 8))
        case = open_case(world, client=rng.choice(clients), title=f"Case {i}", now=opened,
                         priority=rng.choice(["critical", "high", "normal", "low"]),
                         product_line=world.product_line if rng.random() < 0.6 else None)
        if rng.random() < 0.8:
            services.message_add(principal=world.principal("program_manager"), case=case, body="On it",
                                 now=opened + datetime.timedelta(hours=rng.choice([0.5, 30])))
            if rng.random() < 0.8:
                services.case_set_status(principal=world.principal("program_manager"), case=case,
                                         status=CaseStatus.RESOLVED,
                                         now=opened + datetime.timedelta(days=rng.choice([1, 3, 20])))
    CorporateTier.objects.filter(code="gold")  # tiers come from the data migration
    cases = list(ServiceCase.objects.select_related("distributor", "tier", "product_line"))
    assert any(c.resolution_breached for c in cases) and any(c.resolved_at and not c.resolution_breached for c in cases)
    pm = world.principal("program_manager")
    from django.utils import timezone

    keys = {
        "distributor": lambda c: str(c.distributor_id),
        "tier": lambda c: str(c.tier_id),
        "product_line": lambda c: str(c.product_line_id or ""),
        "month": lambda c: timezone.localtime(c.resolved_at).strftime("%Y-%m"),
    }
    for by, key in keys.items():
        rows = {r["key"]: (r["total"], r["met"]) for r in selectors.attainment(principal=pm, by=by)}
        assert rows == _direct_count(cases, key), by
        for r in selectors.attainment(principal=pm, by=by):
            assert r["attainment"] == (Decimal(r["met"]) * 100 / r["total"]).quantize(Decimal("0.1"))
    # A distributor head's report counts only its own cases.
    head_rows = selectors.attainment(principal=world.principal("dist_head"), by="distributor")
    assert [r["key"] for r in head_rows] == [str(world.own.pk)]
    assert head_rows[0]["total"] == _direct_count([c for c in cases if c.distributor_id == world.own.pk],
                                                  keys["distributor"])[str(world.own.pk)][0]


def test_service_health_for_a_distributor_and_a_client(world, login):
    case = open_case(world)
    services.message_add(principal=world.principal("dist_head"), case=case, body="Done", kind=MessageKind.PUBLIC)
    services.case_set_status(principal=world.principal("dist_head"), case=case, status=CaseStatus.RESOLVED)
    services.case_rate(token=tokens.case_token(case), rating=2, comment="Late")
    health = selectors.service_health_for_distributor(world.principal("program_manager"), world.own)
    assert (health["resolved"], health["rated"], health["rating"], health["poor"]) == (1, 1, Decimal("2.00"), True)
    other = selectors.service_health_for_distributor(world.principal("dist_head"), world.other)
    assert other["resolved"] == 0  # a head reads nothing of another distributor
    page = login(world.user("executive")).get(f"/service/clients/{case.client_id}/")
    assert page.status_code == 200 and b"Late" in page.content and b"Poor service" in page.content


def test_the_new_case_form_refuses_a_manufacturer_assignee_and_offers_own_people(world, login):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    browser = login(world.user("dist_head"))
    page = browser.get("/service/new/")  # service:case_create
    assert page.status_code == 200
    offered = page.context["form"].fields["assignee"].widget.choices
    assert world.user("dist_sales").pk in [value for value, _label in offered]
    assert world.user("embedded_kam").pk not in [value for value, _label in offered]
    form = {"client": client.pk, "title": "Valve", "description": "Leaks", "case_type": "incident",
            "priority": "high", "contact_name": "Ana", "contact_email": "ana@client.example"}
    refused = browser.post("/service/new/", {**form, "assignee": world.user("embedded_kam").pk})
    assert refused.status_code == 422 and not ServiceCase.objects.exists()
    assert SecurityEvent.objects.filter(action__contains="assign:service.servicecase.assignee").exists()
    ok = browser.post("/service/new/", {**form, "assignee": world.user("dist_sales").pk})
    assert ok.status_code == 302 and ServiceCase.objects.get().assignee == world.user("dist_sales")


def test_the_client_page_loads_the_service_panel_and_flags_a_renewal_with_poor_service(world, login):
    from keychannel.deals.tests.factories import ContractFactory

    case = open_case(world)
    today = datetime.date.today()
    ContractFactory(client=case.client, starts_on=today - datetime.timedelta(days=300),
                    ends_on=today + datetime.timedelta(days=65), renewal_on=today + datetime.timedelta(days=5))
    browser = login(world.user("dist_head"))
    detail = browser.get(f"/clients/{case.client_id}/")
    assert f'hx-get="/service/clients/{case.client_id}/panel/"'.encode() in detail.content
    calm = browser.get(f"/service/clients/{case.client_id}/panel/")
    assert calm.status_code == 200 and b'id="renewal-at-risk"' not in calm.content
    services.message_add(principal=world.principal("dist_head"), case=case, body="Done")
    services.case_set_status(principal=world.principal("dist_head"), case=case, status=CaseStatus.RESOLVED)
    services.case_rate(token=tokens.case_token(case), rating=1, comment="Bad")
    flagged = browser.get(f"/service/clients/{case.client_id}/panel/")
    assert b'id="renewal-at-risk"' in flagged.content and b"Poor service" in flagged.content
    assert login(world.other_users["dist_head"]).get(f"/service/clients/{case.client_id}/panel/").status_code == 404


def test_the_distributor_scorecard_loads_its_service_health(world, login):
    """Issue 20: the distributor's scorecard shows its service figures (a panel the service app registers)."""
    case = open_case(world)
    services.message_add(principal=world.principal("dist_head"), case=case, body="Done")
    services.case_set_status(principal=world.principal("dist_head"), case=case, status=CaseStatus.RESOLVED)
    services.case_rate(token=tokens.case_token(case), rating=2, comment="Slow")
    office = login(world.user("program_manager"))
    card = office.get(f"/program/scorecards/{world.own.pk}/")
    assert f'hx-get="/service/distributors/{world.own.pk}/panel/"'.encode() in card.content
    panel = office.get(f"/service/distributors/{world.own.pk}/panel/")
    assert panel.status_code == 200 and b'id="service-health"' in panel.content
    health = panel.context["health"]
    assert (health["resolved"], health["rated"], health["rating"]) == (1, 1, 2)
    assert b"Poor service" in panel.content  # a rating under 3
    other = office.get(f"/service/distributors/{world.other.pk}/panel/").context["health"]
    assert other["resolved"] == 0
    assert login(world.other_users["dist_head"]).get(f"/service/distributors/{world.own.pk}/panel/").status_code == 404


def test_the_case_lists_do_not_grow_queries_with_rows(world, login, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_case(world)
    api, browser = api_as(world.user("program_manager")), login(world.user("program_manager"))

    def count(url, client):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count("/api/v1/cases", api), count("/service/", browser)  # warm up (token and session bookkeeping)
    api_one, page_one = count("/api/v1/cases", api), count("/service/", browser)
    for index in range(5):
        open_case(world, "own" if index % 2 else "other", title=f"Case {index}")
    assert count("/api/v1/cases", api) == api_one
    assert count("/service/", browser) == page_one

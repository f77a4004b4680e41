"""Issue 20, done means: a case from the client's public form to closure with a rating — due times in business
hours across Romanian holidays, a pause while waiting on the client, escalations at near breach and at breach
(notifications caught), and the SLA report counting it."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from keychannel.core.models import Notification
from keychannel.deals.tests.factories import ClientFactory, ContractFactory, OpportunityFactory
from keychannel.service import calendar, selectors, services, sla, tokens
from keychannel.service.choices import CaseStatus, MessageKind
from keychannel.service.models import CaseEvent, ServiceCase

pytestmark = pytest.mark.django_db
Z = calendar.ZONE


def at(*args):
    return datetime.datetime(*args, tzinfo=Z)


@pytest.fixture
def gold_client(world):
    client = ClientFactory(distributor=world.own, territory=world.territory, is_key_account=True)
    today = datetime.date.today()
    ContractFactory(client=client, tier_id="gold", value=Decimal("2000000"), starts_on=today - datetime.timedelta(days=30),
                    ends_on=today + datetime.timedelta(days=334))
    OpportunityFactory(client=client, owner=world.user("dist_sales"), kam=world.user("embedded_kam"))
    return client


def _notes(user, ref):
    return list(Notification.objects.filter(recipient=user, title__contains=ref).values_list("title", flat=True))


def test_business_calendar_skips_orthodox_easter_and_weekends():
    assert not calendar.is_business_day(datetime.date(2026, 4, 10))  # Orthodox Good Friday
    assert not calendar.is_business_day(datetime.date(2026, 4, 13))  # Easter Monday
    assert not calendar.is_business_day(datetime.date(2026, 6, 1))  # Pentecost Monday (and Children's Day)
    assert calendar.is_business_day(datetime.date(2026, 4, 14))
    assert calendar.add_business_hours(at(2026, 4, 9, 16), 4) == at(2026, 4, 14, 11)
    assert calendar.add_business_hours(at(2026, 4, 9, 20), 1) == at(2026, 4, 14, 10)  # after hours: next opening
    assert calendar.business_seconds_between(at(2026, 4, 9, 16), at(2026, 4, 14, 11)) == 4 * 3600


def test_a_case_from_the_public_form_to_a_rating(world, client, login, gold_client, django_capture_on_commit_callbacks):
    # A head creates the client's public case-form link; the contact opens a case with it, without an account.
    link_url = login(world.user("dist_head")).post(f"/service/clients/{gold_client.pk}/link/")
    assert link_url.status_code == 302
    _link, url = services.intake_link_create(principal=world.principal("dist_head"), client=gold_client)
    form = client.get(url)
    assert form.status_code == 200 and gold_client.legal_name.encode() in form.content
    assert world.own.legal_name.encode() not in form.content  # the form tells nothing but the client's name
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.post(url, {
            "title": "Compressor stops under load", "description": "Line 2 compressor trips after 10 minutes.",
            "case_type": "incident", "priority": "normal", "product_line": world.product_line.pk,
            "site": "Plant Cluj, line 2", "contact_name": "Ioana Pop", "contact_email": "ioana@client.example"})
    assert opened.status_code == 302, opened.content[:500]
    case = ServiceCase.objects.get(client=gold_client)
    assert opened["Location"] == tokens.case_public_url(case)
    assert case.source == "public_form" and case.distributor == world.own and case.tier.code == "gold"
    assert (case.response_hours, case.resolution_hours) == (Decimal("4"), Decimal("40"))  # gold, normal priority
    assert mail.outbox[-1].to == ["ioana@client.example"] and case.reference in mail.outbox[-1].subject
    assert _notes(world.user("dist_head"), case.reference)  # the head hears of the new case
    ref = case.reference

    # The case arrived on Thursday 9 April 2026 at 16:00 (the test fixes the clock from here on).
    t0 = at(2026, 4, 9, 16)
    case.opened_at = t0
    sla.set_due_times(case)
    case.save()
    # Response: 2 h on Thursday, then Orthodox Good Friday, the weekend and Easter Monday are skipped.
    assert case.response_due_at == at(2026, 4, 14, 11)
    # Resolution: 40 business hours → Monday 20 April 11:00.
    assert case.resolution_due_at == at(2026, 4, 20, 11)

    head = world.principal("dist_head")
    services.case_assign(principal=head, case=case, assignee=world.user("dist_sales"))
    sales = world.principal("dist_sales")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_add(principal=sales, case=case, body="We are looking at the logs; which firmware?",
                             now=at(2026, 4, 14, 9, 30))
    services.message_add(principal=sales, case=case, kind=MessageKind.INTERNAL, body="Probably the valve batch.",
                         now=at(2026, 4, 14, 9, 40))
    assert "which firmware" in mail.outbox[-1].body  # the public reply reaches the contact
    case.refresh_from_db()
    assert case.first_response_at == at(2026, 4, 14, 9, 30) and not case.response_breached

    # Waiting on the client from Tuesday 10:00 until their answer on Thursday 10:00: 18 business hours paused.
    services.case_set_status(principal=sales, case=case, status=CaseStatus.WAITING_CLIENT, now=at(2026, 4, 14, 10))
    case.refresh_from_db()
    assert sla.risk(case, at(2026, 4, 30, 12)) == "paused"
    assert services.escalate_cases(now=at(2026, 4, 30, 12)) == {"near_breach": 0, "breached": 0}  # paused: no clock
    token = tokens.case_token(case)
    page = client.post(tokens.case_public_url(case), {"body": "Firmware 4.2.1, photo attached."})
    assert page.status_code == 302
    # The page resumed the case at the wall clock; the test replays the client's answer at Thursday 10:00.
    case.refresh_from_db()
    case.status, case.paused_at, case.paused_seconds = CaseStatus.WAITING_CLIENT, at(2026, 4, 14, 10), 0
    sla.set_due_times(case)
    case.save()
    services.public_reply(token=token, body="(replayed) Firmware 4.2.1.", now=at(2026, 4, 16, 10))
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.paused_seconds == 18 * 3600
    assert case.resolution_due_at == at(2026, 4, 22, 11)  # Monday 20 11:00 + 18 business hours

    # Near breach (80 % of the 40 hours used) on Tuesday 21 at 12:00: not yet at 11:00, the head at 12:30.
    assert services.escalate_cases(now=at(2026, 4, 21, 11)) == {"near_breach": 0, "breached": 0}
    assert not _notes(world.user("dist_head"), "near its SLA breach")
    assert services.escalate_cases(now=at(2026, 4, 21, 12, 30)) == {"near_breach": 1, "breached": 0}
    assert _notes(world.user("dist_head"), f"{ref} is near its SLA breach")
    assert not _notes(world.user("channel_manager"), ref)
    assert services.escalate_cases(now=at(2026, 4, 21, 13)) == {"near_breach": 0, "breached": 0}  # once

    # At breach (past Wednesday 22 11:00): the channel manager and the client's KAM, recorded once.
    assert services.escalate_cases(now=at(2026, 4, 22, 11, 30)) == {"near_breach": 0, "breached": 1}
    assert _notes(world.user("channel_manager"), f"SLA breached on service case {ref}")
    assert _notes(world.user("embedded_kam"), f"SLA breached on service case {ref}")
    assert services.escalate_cases(now=at(2026, 4, 22, 12)) == {"near_breach": 0, "breached": 0}
    case.refresh_from_db()
    assert case.resolution_breached and not case.response_breached
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("near_breach") == 1 and kinds.count("resolution_breach") == 1

    # Resolved and closed; the contact rates it through the case's link (once).
    with django_capture_on_commit_callbacks(execute=True):
        services.case_set_status(principal=sales, case=case, status=CaseStatus.RESOLVED,
                                 note="Valve batch replaced; the compressor runs under load.", now=at(2026, 4, 22, 14))
    assert "Rate our service" in mail.outbox[-1].body and tokens.case_public_url(case) in mail.outbox[-1].body
    services.case_set_status(principal=head, case=case, status=CaseStatus.CLOSED, now=at(2026, 4, 22, 15))
    public = client.get(tokens.case_public_url(case))
    assert b"Probably the valve batch" not in public.content  # internal notes never reach the client
    assert b"Valve batch replaced" in public.content and b'id="rating-form"' in public.content
    rated = client.post(tokens.case_public_url(case), {"rating": "4", "comment": "Slow start, good fix."})
    assert rated.status_code == 302
    again = client.post(tokens.case_public_url(case), {"rating": "1", "comment": "changed my mind"})
    assert again.status_code == 409
    case.refresh_from_db()
    assert (case.rating, case.rating_comment) == (4, "Slow start, good fix.")

    # A second case of the same distributor that met its targets.
    quick = services.case_open(principal=head, client=gold_client, title="Training for new operators",
                               description="Two new operators.", case_type="training", priority="low",
                               contact_name="Ioana Pop", contact_email="ioana@client.example",
                               product_line=world.product_line, now=at(2026, 4, 23, 9))
    services.message_add(principal=sales, case=quick, body="Booked for Friday.", now=at(2026, 4, 23, 10))
    services.case_set_status(principal=sales, case=quick, status=CaseStatus.RESOLVED, now=at(2026, 4, 24, 17))

    # The SLA report counts them: 2 resolved for distributor A, 1 met (the breached one is not).
    pm = world.principal("program_manager")
    by_distributor = selectors.attainment(principal=pm, by="distributor")
    assert by_distributor == [{"key": str(world.own.pk), "label": world.own.code, "total": 2, "met": 1,
                               "breached": 1, "attainment": Decimal("50.0"), "rating": Decimal("4.00")}]
    by_month = selectors.attainment(principal=pm, by="month")
    assert [(r["key"], r["total"], r["met"]) for r in by_month] == [("2026-04", 2, 1)]
    report = login(world.user("program_manager")).get("/service/report/?from=2026-04-01&to=2026-04-30")
    assert report.status_code == 200 and b"50.0 %" in report.content
    # The client's service panel shows the rating; the distributor's figures too.
    panel = login(world.user("dist_head")).get(f"/service/clients/{gold_client.pk}/")
    assert panel.status_code == 200 and b"Slow start, good fix." in panel.content

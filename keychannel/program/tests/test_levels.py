"""Issue 15 part 2: program levels take effect (protection days, budget share, requalification with history)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services as channel_services
from keychannel.channel.tests.factories import cover, make_client, make_registration
from keychannel.core.models import Notification
from keychannel.program import levels
from keychannel.program.choices import ProgramStatus
from keychannel.program.models import (
    DistributorLevel,
    LevelChange,
    LevelCriterion,
    ProgramLevel,
    SupportBudget,
)
from keychannel.program.tests.factories import program
from keychannel.program.tests.test_program import _complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def leveled(world):
    """A launched program with two levels on people certified: Partner (1 → 60 days, 10 %), Certified (2 → 180, 40 %)."""
    prog = program(world, name="Key accounts")
    partner = ProgramLevel.objects.create(program=prog, name="Partner", rank=1, protection_days=60,
                                          support_budget_share=Decimal(10))
    LevelCriterion.objects.create(level=partner, metric="people_certified", threshold=1)
    certified = ProgramLevel.objects.create(program=prog, name="Certified", rank=2, protection_days=180,
                                            support_budget_share=Decimal(40))
    LevelCriterion.objects.create(level=certified, metric="people_certified", threshold=2)
    world.cache["levels"] = (prog, partner, certified)
    return world


def _submit(world, distributor, user="dist_sales"):
    cover(distributor, world.territory, world.product_line)
    client = make_client(distributor=distributor, territory=world.territory)
    return channel_services.registration_submit(
        principal=world.principal(user), distributor=distributor, client=client, title="Compressor fleet",
        product_lines=[world.product_line], estimated_value=Decimal(300000),
        expected_close_on=today() + datetime.timedelta(days=45),
    )


def test_recompute_changes_the_level_from_data_records_history_and_notifies_the_head(leveled):
    prog, partner, certified = leveled.cache["levels"]
    pm = leveled.principal("program_manager")
    assert levels.recompute_levels(principal=pm, program=prog) == []  # no data: no level, nothing to record
    assert not DistributorLevel.objects.exists()

    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    changes = levels.recompute_levels(principal=pm, program=prog, reason="After the spring course")
    assert [(c.distributor_id, c.from_level, c.to_level) for c in changes] == [(leveled.own.pk, None, partner)]
    change = changes[0]
    assert change.changed_by == leveled.user("program_manager") and change.reason == "After the spring course"
    assert levels.held_level(leveled.own.pk) == partner
    note = Notification.objects.get(recipient=leveled.user("dist_head"), title__icontains="Partner")
    assert "60" in note.body and "10" in note.body

    # Recomputing again with the same data changes nothing and records nothing.
    assert levels.recompute_levels(principal=pm, program=prog) == []
    assert LevelChange.objects.count() == 1

    # The daily job climbs the distributor when the data says so, recorded with no user.
    _complete(leveled, leveled.user("dist_head"), leveled.own, course=_course("second"))
    call_command("recompute_levels", stdout=open("/dev/null", "w"))
    latest = LevelChange.objects.filter(distributor=leveled.own).first()
    assert (latest.from_level, latest.to_level, latest.changed_by) == (partner, certified, None)
    assert levels.held_level(leveled.own.pk) == certified
    assert LevelChange.objects.filter(distributor=leveled.own).count() == 2


def _course(code):
    from keychannel.program.models import Course

    return Course.objects.create(code=code, title=code, certificate_title=code, published=True)


def test_only_the_program_office_recomputes(leveled):
    prog, *_ = leveled.cache["levels"]
    for role in ("channel_manager", "executive", "dist_head"):
        with pytest.raises(PermissionDenied):
            levels.recompute_levels(principal=leveled.principal(role), program=prog)
    draft = program(leveled, name="Next year", status=ProgramStatus.DRAFT)
    with pytest.raises(ValidationError):
        levels.recompute_levels(principal=leveled.principal("program_manager"), program=draft)


def test_approval_uses_the_level_protection_days_else_the_channel_default(leveled, settings):
    settings.KEYCHANNEL_REGISTRATION_PROTECTION_DAYS = 30
    prog, partner, certified = leveled.cache["levels"]
    cm = leveled.principal("channel_manager")
    # No level yet: the channel default.
    registration = _submit(leveled, leveled.own)
    channel_services.registration_approve(principal=cm, registration=registration)
    registration.refresh_from_db()
    assert registration.protected_until == today() + datetime.timedelta(days=30)

    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    levels.recompute_levels(principal=leveled.principal("program_manager"), program=prog)
    second = channel_services.registration_submit(
        principal=leveled.principal("dist_sales"), distributor=leveled.own,
        client=make_client(distributor=leveled.own, territory=leveled.territory), title="Second",
        product_lines=[leveled.product_line], estimated_value=Decimal(1000), expected_close_on=today() + datetime.timedelta(days=45),
    )
    channel_services.registration_approve(principal=cm, registration=second)
    second.refresh_from_db()
    assert second.protected_until == today() + datetime.timedelta(days=partner.protection_days)
    # The other distributor holds no level: still the default.
    third = make_registration(distributor=leveled.other, client=make_client(distributor=leveled.other, territory=leveled.territory),
                              user=leveled.user("admin"))
    channel_services.registration_approve(principal=leveled.principal("admin"), registration=third)
    third.refresh_from_db()
    assert third.protected_until == today() + datetime.timedelta(days=30)


def test_budget_is_the_level_share_of_the_pool(leveled, api_as):
    prog, partner, certified = leveled.cache["levels"]
    pm = leveled.principal("program_manager")
    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    levels.recompute_levels(principal=pm, program=prog)
    budget = levels.budget_apply(principal=pm, distributor=leveled.own, year=today().year, pool=Decimal(200000))
    assert (budget.amount, budget.level, budget.level_share, budget.pool) == (Decimal("20000.00"), partner, Decimal(10), Decimal(200000))
    # No level: no share of the pool.
    assert levels.budget_apply(principal=pm, distributor=leveled.other, year=today().year, pool=Decimal(200000)).amount == 0
    # Both or neither: refused, nothing changes.
    with pytest.raises(ValidationError):
        levels.budget_apply(principal=pm, distributor=leveled.own, year=today().year, amount=Decimal(5), pool=Decimal(5))
    assert SupportBudget.objects.get(distributor=leveled.own).amount == Decimal("20000.00")

    # The API sets it the same way; a fixed amount clears the pool explanation.
    api = api_as(leveled.user("program_manager"))
    response = api.post("/api/v1/support-budgets", {"distributor_id": leveled.own.pk, "year": today().year, "pool": "100000"},
                        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["amount"] == "10000.00" and response.json()["level_id"] == partner.pk
    response = api.post("/api/v1/support-budgets", {"distributor_id": leveled.own.pk, "year": today().year, "amount": "7000"},
                        content_type="application/json")
    assert response.status_code == 200 and response.json()["pool"] is None
    response = api.post("/api/v1/support-budgets", {"distributor_id": leveled.own.pk, "year": today().year},
                        content_type="application/json")
    assert response.status_code == 422
    response = api_as(leveled.user("dist_head")).post(
        "/api/v1/support-budgets", {"distributor_id": leveled.own.pk, "year": today().year, "pool": "1"},
        content_type="application/json")
    assert response.status_code == 403
    assert SupportBudget.objects.get(distributor=leveled.own).amount == Decimal(7000)


def test_budget_page_sets_the_share_of_a_pool(leveled, login):
    prog, partner, _ = leveled.cache["levels"]
    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    levels.recompute_levels(principal=leveled.principal("program_manager"), program=prog)
    client = login(leveled.user("program_manager"))
    response = client.post(reverse("program:budget_set"), {"distributor": leveled.own.pk, "year": today().year, "pool": "50000"})
    assert response.status_code == 302
    assert SupportBudget.objects.get(distributor=leveled.own).amount == Decimal("5000.00")
    response = client.post(reverse("program:budget_set"), {"distributor": leveled.own.pk, "year": today().year})
    assert response.status_code == 422 and "either a fixed amount or a support pool" in response.content.decode()
    page = login(leveled.user("dist_head")).get(reverse("program:distributor_overview", args=[leveled.own.pk])).content.decode()
    assert "of the 50,000.00 RON pool" in page or "of the 50000.00 RON pool" in page


def test_recompute_button_and_api(leveled, login, api_as):
    prog, partner, certified = leveled.cache["levels"]
    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    client = login(leveled.user("program_manager"))
    detail = client.get(reverse("program:program_detail", args=[prog.pk])).content.decode()
    assert reverse("program:level_recompute", args=[prog.pk]) in detail
    response = client.post(reverse("program:level_recompute", args=[prog.pk]), {"reason": "Quarterly review"})
    assert response.status_code == 302
    change = LevelChange.objects.get()
    assert (change.to_level, change.reason) == (partner, "Quarterly review")
    assert "Partner" in client.get(reverse("program:program_detail", args=[prog.pk])).content.decode()

    _complete(leveled, leveled.user("dist_head"), leveled.own, course=_course("second"))
    response = api_as(leveled.user("program_manager")).post("/api/v1/program-levels/recompute", {"reason": "API"},
                                                            content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["program_id"] == prog.pk
    assert [(c["from_level"]["name"], c["to_level"]["name"]) for c in body["changes"]] == [("Partner", "Certified")]
    assert api_as(leveled.user("dist_head")).post("/api/v1/program-levels/recompute", {},
                                                  content_type="application/json").status_code == 403


def test_head_sees_level_benefits_next_level_needs_and_history(leveled, login, api_as, settings):
    settings.KEYCHANNEL_REGISTRATION_PROTECTION_DAYS = 30
    prog, partner, certified = leveled.cache["levels"]
    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    levels.recompute_levels(principal=leveled.principal("program_manager"), program=prog, reason="Spring review")
    page = login(leveled.user("dist_head")).get(reverse("program:distributor_overview", args=[leveled.own.pk])).content.decode()
    assert 'id="held-level">Partner' in page
    assert "protected for 60 days" in page
    assert "For <strong>Certified</strong> you need:" in page
    assert "Spring review" in page  # the history

    response = api_as(leveled.user("dist_head")).get(f"/api/v1/distributors/{leveled.own.pk}/program-level")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["level"]["name"] == "Partner" and body["protection_days"] == 60
    assert body["next_level"]["level"]["name"] == "Certified"
    [criterion] = body["next_level"]["criteria"]
    assert (criterion["metric"], criterion["met"], Decimal(criterion["threshold"]), Decimal(criterion["missing"])) == (
        "people_certified", False, 2, 1)
    assert [h["reason"] for h in body["history"]] == ["Spring review"]
    # Another distributor's level is not the head's to read.
    assert api_as(leveled.user("dist_head")).get(f"/api/v1/distributors/{leveled.other.pk}/program-level").status_code == 404


def test_api_approval_and_lead_acceptance_use_the_level_protection_days(leveled, api_as, settings):
    settings.KEYCHANNEL_REGISTRATION_PROTECTION_DAYS = 30
    prog, partner, _ = leveled.cache["levels"]
    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    levels.recompute_levels(principal=leveled.principal("program_manager"), program=prog)
    registration = _submit(leveled, leveled.own)
    response = api_as(leveled.user("channel_manager")).post(f"/api/v1/registrations/{registration.pk}/approve", {},
                                                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["protected_until"] == str(today() + datetime.timedelta(days=partner.protection_days))

    # A lead the distributor accepts is approved at once, for the level's period too.
    leveled.own.stance = "active"
    leveled.own.save()
    lead = channel_services.lead_create(principal=leveled.principal("program_manager"), company_name="Nova Steel SA",
                                        territory=leveled.territory, product_lines=[leveled.product_line],
                                        estimated_value=90000, tax_id="RO 6060606")
    channel_services.lead_accept(principal=leveled.principal("dist_sales"), offer=lead.offers.get(distributor=leveled.own))
    lead.refresh_from_db()
    assert lead.registration.protected_until == today() + datetime.timedelta(days=partner.protection_days)


def test_page_approval_and_lead_acceptance_on_every_path_use_the_level_protection_days(leveled, api_as, login, settings):
    """The decision page (``channel:registration_decide``), ``POST /api/v1/leads/{id}/accept`` and the lead page
    (``channel:lead_respond``) protect for the level's days too."""
    settings.KEYCHANNEL_REGISTRATION_PROTECTION_DAYS = 30
    prog, partner, _ = leveled.cache["levels"]
    _complete(leveled, leveled.user("dist_sales"), leveled.own)
    levels.recompute_levels(principal=leveled.principal("program_manager"), program=prog)
    expected = today() + datetime.timedelta(days=partner.protection_days)
    registration = _submit(leveled, leveled.own)
    page = login(leveled.user("channel_manager"))
    response = page.post(reverse("channel:registration_decide", args=[registration.pk]), {"action": "approve"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "approved" and registration.protected_until == expected

    leveled.own.stance = "active"
    leveled.own.save()

    def new_lead(name, tax_id):
        return channel_services.lead_create(principal=leveled.principal("program_manager"), company_name=name,
                                            territory=leveled.territory, product_lines=[leveled.product_line],
                                            estimated_value=90000, tax_id=tax_id)

    by_api = new_lead("Nova Steel SA", "RO 6060606")
    response = api_as(leveled.user("dist_sales")).post(f"/api/v1/leads/{by_api.pk}/accept", {},
                                                       content_type="application/json")
    assert response.status_code == 200, response.content
    by_page = new_lead("Orion Metal SRL", "RO 8080808")
    page = login(leveled.user("dist_sales"))
    assert page.post(reverse("channel:lead_respond", args=[by_page.pk]), {"action": "accept"}).status_code == 302
    for lead in (by_api, by_page):
        lead.refresh_from_db()
        assert lead.registration.protected_until == expected

"""Issue 15 part 3: penalties and restrictions raised by their rule's condition, with evidence, once per evidence;
appeal decisions notify the distributor head and the channel manager; a restriction refuses registrations."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services as channel_services
from keychannel.channel.choices import RegistrationStatus
from keychannel.channel.tests.factories import cover, make_client, make_registration
from keychannel.core.models import Notification
from keychannel.deals.models import Activity
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.program import rule_conditions, services
from keychannel.program.choices import AppealStatus, LedgerKind, RuleKind, RuleStatus
from keychannel.program.models import Acknowledgement, Goal, LedgerEntry, Milestone, ProgramRule
from keychannel.program.tests.factories import goal_tree, program

pytestmark = pytest.mark.django_db


def _rule(prog, code, kind=RuleKind.PENALTY, **parameters):
    return ProgramRule.objects.create(program=prog, code=code, kind=kind, title=code.replace("-", " ").capitalize(),
                                      text="By rule.", parameters=parameters, status=RuleStatus.PUBLISHED,
                                      published_at=timezone.now())


def _expired(world, distributor, *, worked=False):
    client = make_client(distributor=distributor, territory=world.territory)
    opportunity = None
    if worked:
        opportunity = OpportunityFactory(client=client, distributor=distributor, owner=world.user("dist_sales"))
        Activity.objects.create(opportunity=opportunity, subject="Site visit", occurred_on=today() - datetime.timedelta(days=20))
    return make_registration(distributor=distributor, client=client, user=world.user("dist_sales"),
                             status=RegistrationStatus.EXPIRED, holds_claim=False, opportunity=opportunity,
                             submitted_on=today() - datetime.timedelta(days=60),
                             protected_until=today() - datetime.timedelta(days=5))


@pytest.fixture
def launched(world):
    return program(world, name="Key accounts")


def test_expired_registration_without_activity_raises_a_penalty_with_evidence_once(world, launched):
    rule = _rule(launched, "idle-registration", condition="registration_expired_no_activity", amount=1000)
    idle = _expired(world, world.own)
    _expired(world, world.other, worked=True)  # worked on during the protection: no penalty

    call_command("apply_rule_conditions", stdout=open("/dev/null", "w"))
    entry = LedgerEntry.objects.get()
    assert (entry.distributor, entry.rule, entry.kind, entry.amount) == (world.own, rule, LedgerKind.PENALTY, Decimal(1000))
    assert f"Registration #{idle.pk}" in entry.evidence and str(idle.protected_until) in entry.evidence
    assert entry.evidence_key == f"idle-registration:registration:{idle.pk}"
    assert entry.owner == launched.manager
    assert Notification.objects.filter(recipient=world.user("dist_head"), url=entry.get_absolute_url()).exists()

    # Idempotent: the schedule and the button overlapping never raise the same entry twice for the same evidence.
    call_command("apply_rule_conditions", stdout=open("/dev/null", "w"))
    assert rule_conditions.apply_rule_conditions(principal=world.principal("program_manager"), program=launched) == []
    assert LedgerEntry.objects.count() == 1


def test_rule_not_acknowledged_within_n_days_and_goal_behind_at_a_milestone(world, launched):
    conduct = _rule(launched, "conduct", kind=RuleKind.INCENTIVE, metric="people_certified", bonus_percent=1)
    conduct.published_at = timezone.now() - datetime.timedelta(days=20)
    conduct.save()
    Acknowledgement.objects.create(rule=conduct, distributor=world.other, acknowledged_by=world.other_users["dist_head"])
    _rule(launched, "late-ack", condition="not_acknowledged", within_days=14, rule_code="conduct")
    goals = goal_tree(launched, world)
    Milestone.objects.create(goal=goals["own"], title="Half-way", expected_result="2 certified",
                             due_on=today() - datetime.timedelta(days=1))
    _rule(launched, "behind-goal", condition="goal_behind", behind_percent=25, amount=500)

    raised = rule_conditions.apply_rule_conditions(on_date=today())
    by_code = {(e.rule.code, e.distributor_id): e for e in raised}
    assert set(by_code) == {("late-ack", world.own.pk), ("behind-goal", world.own.pk)}
    assert "not acknowledged after 14 days" in by_code["late-ack", world.own.pk].evidence
    behind = by_code["behind-goal", world.own.pk].evidence
    assert "Half-way" in behind and "100.0 % behind" in behind  # nobody certified against a positive target to date
    assert rule_conditions.apply_rule_conditions(on_date=today()) == []
    assert Goal.objects.filter(distributor=world.own).exists()


def test_a_condition_the_check_cannot_evaluate_is_refused_on_every_path(world, launched, api_as):
    pm = world.principal("program_manager")
    for parameters in ({"condition": "weather"}, {"condition": "goal_behind"}, {"condition": "goal_behind", "behind_percent": 120},
                       {"condition": "not_acknowledged", "within_days": 1.5}, {"product_line": "nope"}):
        with pytest.raises(ValidationError):
            services.rule_create(principal=pm, program=launched, code="x", kind=RuleKind.RESTRICTION, title="X",
                                 text="X", parameters=parameters)
    response = api_as(world.user("program_manager")).post(
        "/api/v1/rules", {"program_id": launched.pk, "code": "x", "kind": "penalty", "title": "X", "text": "X",
                          "parameters": {"condition": "weather"}}, content_type="application/json")
    assert response.status_code == 422, response.content
    assert not ProgramRule.objects.filter(code="x").exists()


def test_restriction_refuses_registrations_in_its_product_line_until_the_appeal_is_granted(world, launched, login, api_as):
    rule = _rule(launched, "no-compressors", kind=RuleKind.RESTRICTION, condition="registration_expired_no_activity",
                 product_line=world.product_line.code, duration_days=90)
    _expired(world, world.own)
    client_page = login(world.user("program_manager"))
    response = client_page.post(reverse("program:rule_conditions_apply", args=[launched.pk]))
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(rule=rule)
    assert entry.expires_on == today() + datetime.timedelta(days=90)
    page = login(world.user("dist_head")).get(reverse("program:distributor_overview", args=[world.own.pk]))
    assert f'id="raised-{entry.pk}"' in page.content.decode()

    cover(world.own, world.territory, world.product_line)
    target = make_client(distributor=world.own, territory=world.territory)

    def submit():
        return channel_services.registration_submit(
            principal=world.principal("dist_sales"), distributor=world.own, client=target, title="Fleet",
            product_lines=[world.product_line], estimated_value=Decimal(1000),
            expected_close_on=today() + datetime.timedelta(days=30))

    with pytest.raises(ValidationError) as refused:
        submit()
    assert "No compressors" in str(refused.value) and "Compressors" in str(refused.value)
    assert not target.registrations.exists()

    # Appeal (API) → decision (API) → both the head and the channel manager are told.
    head_api = api_as(world.user("dist_head"))
    assert head_api.get(f"/api/v1/distributors/{world.own.pk}/ledger").json()[0]["raised_by_condition"] is True
    assert head_api.post(f"/api/v1/ledger/{entry.pk}/appeal", {"text": "We worked it by phone"},
                         content_type="application/json").status_code == 200
    response = api_as(world.user("program_manager")).post(
        f"/api/v1/ledger/{entry.pk}/decision", {"granted": True, "decision": "Calls were logged elsewhere"},
        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["appeal_status"] == AppealStatus.GRANTED
    for user in (world.user("dist_head"), world.user("channel_manager")):
        note = Notification.objects.get(recipient=user, title__startswith="Appeal decided")
        assert note.body == "Calls were logged elsewhere"
    assert submit().pk  # the lifted restriction no longer refuses


def test_appeal_decision_on_the_page_notifies_head_and_channel_manager(world, launched, login):
    rule = _rule(launched, "late-report")
    entry = services.ledger_apply(principal=world.principal("program_manager"), distributor=world.own, rule=rule,
                                  evidence="Report two weeks late", amount=Decimal(200))
    services.ledger_appeal(principal=world.principal("dist_head"), entry=entry, text="Sent on time by mail")
    response = login(world.user("program_manager")).post(reverse("program:ledger_decide", args=[entry.pk]),
                                                         {"decision": "The mail arrived late"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.appeal_status == AppealStatus.UPHELD
    assert set(Notification.objects.filter(title__startswith="Appeal decided").values_list("recipient", flat=True)) == {
        world.user("dist_head").pk, world.user("channel_manager").pk}


def test_restriction_raised_over_the_api_refuses_registrations_on_the_api_and_the_page(world, launched, login, api_as):
    _rule(launched, "no-compressors", kind=RuleKind.RESTRICTION, condition="registration_expired_no_activity",
          product_line=world.product_line.code)
    _expired(world, world.own)
    assert api_as(world.user("dist_head")).post("/api/v1/program-rule-conditions/apply", {},
                                                content_type="application/json").status_code == 403
    response = api_as(world.user("program_manager")).post(
        "/api/v1/program-rule-conditions/apply", {"program_id": launched.pk}, content_type="application/json")
    assert response.status_code == 200, response.content
    [raised] = response.json()
    assert raised["kind"] == LedgerKind.RESTRICTION and raised["raised_by_condition"] and "expired on" in raised["evidence"]

    cover(world.own, world.territory, world.product_line)
    target = make_client(distributor=world.own, territory=world.territory)
    body = {"distributor_id": world.own.pk, "client_id": target.pk, "title": "Fleet",
            "product_line_ids": [world.product_line.pk], "estimated_value": "1000",
            "expected_close_on": (today() + datetime.timedelta(days=30)).isoformat()}
    response = api_as(world.user("dist_sales")).post("/api/v1/registrations", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert "No compressors" in response.content.decode()
    page = login(world.user("dist_sales")).post(reverse("channel:registration_create"), {
        "distributor": world.own.pk, "client": target.pk, "title": "Fleet", "product_lines": [world.product_line.pk],
        "estimated_value": "1000", "expected_close_on": body["expected_close_on"]})
    assert page.status_code == 422 and "No compressors" in page.content.decode()  # the form, with the message
    assert not target.registrations.exists()

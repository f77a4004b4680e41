"""Work for the manufacturer's people comes only from the manufacturer (issue 14): ``core/assignment.py``.

The discovery test finds every user-valued field (model foreign keys and many-to-many to the user model,
API input fields named like a person) and fails when one has no case below; each case says how a distributor
user is kept from pointing it at a manufacturer person, and names the test that proves it.
"""

import datetime
import json
import re
import sys
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.test.utils import isolate_apps
from django.urls import reverse

from keychannel.core.assignment import AssignmentRefused, may_assign
from keychannel.core.choices import SecurityEventKind
from keychannel.core.models import SecurityEvent
from keychannel.core.policies import can

pytestmark = pytest.mark.django_db

REFUSED = "refused"  # the service calls require_assignable; ``proof`` is the test that shows the refusal
MANUFACTURER = "manufacturer"  # only manufacturer roles write it; ``proof`` is the policy action that says so
ACTOR = "actor"  # the service writes the caller (or a system job writes it); nobody picks the person
EXEMPT = "exempt"  # a person is named but given no work; ``proof`` says why


@dataclass(frozen=True)
class Case:
    kind: str
    writer: str
    proof: str


KAM_TASK_PROOF = "keychannel/competence/tests/test_kam_tasks.py::test_head_cannot_create_or_change_through_the_api"
_deal = Case(REFUSED, "deals.services.opportunity_create/update (form, API; the kanban only moves stages)",
             "test_deal_api_refuses_manufacturer_people")
_plan = Case(REFUSED, "clients.services.account_plan_update / account_objective_create / account_action_create",
             "test_account_plan_refuses_manufacturer_owners")
_readiness = Case(REFUSED, "network.services.action_item_create/update (form, API)",
                  "test_readiness_action_refuses_manufacturer_owner")
_contact = Case(REFUSED, "clients.services.stakeholder_contact_set (form, API)",
                "test_stakeholder_contact_refuses_manufacturer_people")
_participants = Case(EXEMPT, "deals.services.activity_log/update",
                     "a record of who took part in what already happened (occurred_on <= today); no work, no notice")
_consultation = Case(EXEMPT, "competence.services.consultation_create",
                     "a request the recipient accepts or declines, only to the KAM stationed there or its mentor")


def actor(writer):
    return Case(ACTOR, writer, "the service writes principal.user (or a system job writes it)")


def manufacturer(action, writer=""):
    return Case(MANUFACTURER, writer or action, action)


MODEL_CASES = {
    "core.Membership.user": Case(EXEMPT, "Django admin / createadmin",
                                 "the account's own role, no work; the admin site is closed to distributor users"),
    "core.ApiToken.user": actor("core.services.api_token_create"),
    "core.IdempotencyRecord.user": actor("core.idempotency.IdempotencyMiddleware (the caller of the API)"),
    "core.Notification.recipient": actor("core.services.notification_send (system)"),
    "core.Notification.sender": actor("core.notifications.notification_send (the acting user, named in the e-mail)"),
    "core.NotificationPreference.user": actor("core.services.notification_preferences_set (the caller's own rows)"),
    "core.SecurityEvent.user": actor("core.services.security_event_record (system)"),
    "core.Invitation.user": Case(REFUSED, "core.onboarding.user_invite (require_placeable: a head invites only its own "
                                          "salespeople; the administrator places everybody)",
                                 "keychannel/core/tests/test_onboarding.py::test_a_head_invites_only_salespeople_of_its_own_company"),
    "core.Invitation.invited_by": actor("core.onboarding.user_invite / invitation_resend"),
    "network.Distributor.channel_manager": manufacturer("network.distributor.change"),
    "network.Relationship.manufacturer_user": manufacturer("network.relationship.change"),
    "network.Interaction.recorded_by": actor("network.services.interaction_record"),
    "network.ReadinessAssessment.assessed_by": actor("network.services.readiness_assess"),
    "network.ActionItem.owner": _readiness,
    "network.ComplianceReview.reviewer": manufacturer("network.review.change"),
    "network.CoverageRequest.requested_by": actor("network.coverage_requests.coverage_request_create"),
    "network.CoverageRequest.decided_by": actor("network.coverage_requests.coverage_request_decide"),
    "clients.CorporateClient.created_by": actor("clients.services.client_create"),
    "clients.Stakeholder.known_by": _contact,
    "clients.StakeholderContact.user": _contact,
    "clients.ClientMerge.merged_by": actor("clients.services.client_merge"),
    "clients.AccountPlan.owner": _plan,
    "clients.AccountObjective.owner": _plan,
    "clients.AccountAction.owner": _plan,
    "deals.Opportunity.owner": _deal,
    "deals.Opportunity.mentor": _deal,
    "deals.Opportunity.kam": _deal,
    "deals.Opportunity.created_by": actor("deals.services.opportunity_create"),
    "deals.StageChange.changed_by": actor("deals.services.opportunity_move"),
    "deals.Activity.created_by": actor("deals.services.activity_log"),
    "deals.Activity.participants": _participants,
    "deals.CorporateContract.owner": Case(REFUSED, "deals.services.contract_update (the win copies the deal owner)",
                                          "test_contract_owner_refuses_manufacturer_people"),
    "deals.Opportunity.gate_override_by": actor("deals: the manufacturer's registration-gate override"),
    "deals.CorporateContract.tier_exception_by": actor("deals.services.check_tier_volume: the manufacturer's tier exception"),
    "deals.Opportunity.test_override_by": actor("deals: the manufacturer's product-test override on a win"),
    "deals.ProductTestSignoff.recorded_by": actor("deals.signoff: whoever records an approval"),
    "deals.ProductTestSignoff.signed_by": actor("deals.signoff.manufacturer_signoff: the signer themself"),
    "channel.ChannelPolicy.updated_by": actor("channel: the program manager's channel-policy edit"),
    "deals.ContractNotice.recipient": actor("deals.services.notify_expiring_contracts (system)"),
    "channel.DealRegistration.registered_by": actor("channel.services.registration_create"),
    "channel.DealRegistration.decided_by": actor("channel.services.registration_decide"),
    "channel.Conflict.opened_by": actor("channel.services.conflict_open"),
    "channel.Conflict.decided_by": actor("channel.services.conflict_resolve"),
    "channel.ConflictComment.author": actor("channel.services.conflict_comment"),
    "channel.Lead.created_by": actor("channel.services.lead_create"),
    "channel.Lead.assignee": manufacturer("channel.lead.assign",
                                          "channel.services.leads.lead_assign (also require_assignable; the person "
                                          "works at the distributor the lead goes to)"),
    "channel.Lead.assigned_by": actor("channel.services.leads.lead_assign"),
    "channel.LeadOffer.responded_by": actor("channel.services.lead_respond"),
    "program.Program.manager": manufacturer("program.program.change"),
    "program.Program.override_by": actor("program.services.program_launch"),
    "program.Signoff.executive": actor("program.services.signoff_record"),
    "program.Acknowledgement.acknowledged_by": actor("program.services.rule_acknowledge"),
    "program.LevelChange.changed_by": actor("program.levels.recompute_levels (the program office, or empty)"),
    "program.LedgerEntry.owner": manufacturer("program.ledger.apply"),
    "program.EventInvitation.user": manufacturer("program.event.change", "program.services.event_invite"),
    "program.CalendarFeed.user": actor("program.services.calendar_feed_ensure"),
    "program.SupportRequest.requested_by": actor("program.services.support_request_create"),
    "program.SupportRequest.decided_by": actor("program.services.support_decide"),
    "program.Award.awarded_by": actor("program.services.award_grant"),
    "program.Enrollment.user": actor("program.services.course_enroll"),
    "program.BestPractice.author": actor("program.services.best_practice_create"),
    "competence.Mentorship.mentor": manufacturer("competence.mentorship.manage"),
    "competence.EmbeddedAssignment.kam": manufacturer("competence.assignment.manage"),
    "competence.CoachingSession.recorded_by": actor("competence.services.coaching_session_record"),
    "competence.KamTask.kam": Case(REFUSED, "competence.services (refuse_distributor_write)", KAM_TASK_PROOF),
    "competence.KamTask.created_by": actor("competence.services._task_create"),
    "competence.KamTaskComment.author": actor("competence.services.kam_task_comment"),
    "competence.ConsultationRequest.requested_by": actor("competence.services.consultation_create"),
    "competence.ConsultationRequest.recipient": _consultation,
    "sales.ColumnMapping.created_by": actor("sales.services"),
    "sales.SalesReport.uploaded_by": actor("sales.services.sales_report_upload"),
    "sales.ImportJob.uploaded_by": actor("sales.imports.import_job_create"),
    "sales.Survey.created_by": actor("sales.survey_services.survey_create"),
    "sales.SurveyResponse.recorded_by": actor("sales.survey_answers.survey_answer_record (staff who heard the answer)"),
    "integrations.WebhookSubscription.owner": actor("integrations.services.subscription_create"),
    "service.ServiceCase.opened_by": actor("service.services.case_open"),
    "service.ServiceCase.assignee": Case(
        REFUSED, "service.services.case_open / case_assign (form, API)",
        "keychannel/service/tests/test_service_cases.py::test_a_distributor_user_never_assigns_a_manufacturer_person"),
    "service.ServiceCase.taken_over_by": actor("service.services.case_takeover (manufacturer roles only)"),
    "service.CaseMessage.author": actor("service.services.message_add"),
    "service.IntakeLink.created_by": actor("service.services.intake_link_create"),
}

API = "/api/v1"
API_CASES = {
    f"PATCH {API}/distributors/{{distributor_id}} channel_manager_id": MODEL_CASES["network.Distributor.channel_manager"],
    f"POST {API}/distributors channel_manager_id": MODEL_CASES["network.Distributor.channel_manager"],
    f"PATCH {API}/clients/{{client_id}}/account-plan owner_id": _plan,
    f"POST {API}/clients/{{client_id}}/account-plan/objectives owner_id": _plan,
    f"POST {API}/clients/{{client_id}}/account-plan/actions owner_id": _plan,
    f"PATCH {API}/account-plan/objectives/{{item_id}} owner_id": _plan,
    f"PATCH {API}/account-plan/actions/{{item_id}} owner_id": _plan,
    f"POST {API}/relationships manufacturer_user_id": MODEL_CASES["network.Relationship.manufacturer_user"],
    f"POST {API}/readiness/{{assessment_id}}/actions owner_id": _readiness,
    f"PATCH {API}/readiness/actions/{{item_id}} owner_id": _readiness,
    f"POST {API}/stakeholders/{{stakeholder_id}}/contacts user_id": _contact,
    f"POST {API}/opportunities owner_id": _deal,
    f"POST {API}/opportunities mentor_id": _deal,
    f"POST {API}/opportunities kam_id": _deal,
    # The sync paths (upsert by external id; the bulk route's items are the same body) call the same services.
    **{f"PUT {API}/opportunities/by-external-id/{{external_id}} {name}": Case(
        REFUSED, "deals.sync.opportunity_upsert_by_external_id (opportunity_create/update)",
        "keychannel/channel/tests/test_sync_paths.py::test_the_assignment_rule_holds_on_the_deal_upsert_and_bulk")
       for name in ("owner_id", "mentor_id", "kam_id")},
    f"PATCH {API}/opportunities/{{opportunity_id}} owner_id": _deal,
    f"PATCH {API}/opportunities/{{opportunity_id}} mentor_id": _deal,
    f"PATCH {API}/opportunities/{{opportunity_id}} kam_id": _deal,
    f"POST {API}/opportunities/{{opportunity_id}}/activities participant_ids": _participants,
    f"PATCH {API}/activities/{{activity_id}} participant_ids": _participants,
    f"POST {API}/programs manager_id": MODEL_CASES["program.Program.manager"],
    f"PATCH {API}/programs/{{program_id}} manager_id": MODEL_CASES["program.Program.manager"],
    f"POST {API}/events/{{event_id}}/invitations user_ids": MODEL_CASES["program.EventInvitation.user"],
    f"POST {API}/mentorships mentor_id": MODEL_CASES["competence.Mentorship.mentor"],
    f"POST {API}/embedded-assignments kam_id": MODEL_CASES["competence.EmbeddedAssignment.kam"],
    f"POST {API}/kam-tasks kam_id": MODEL_CASES["competence.KamTask.kam"],
    f"PATCH {API}/kam-tasks/{{task_id}} kam_id": MODEL_CASES["competence.KamTask.kam"],
    f"POST {API}/consultations recipient_id": _consultation,
    f"POST {API}/consultations/{{consultation_id}}/convert kam_id": MODEL_CASES["competence.KamTask.kam"],
    f"POST {API}/coverage-gaps/{{client_id}}/assign mentor_id": MODEL_CASES["competence.Mentorship.mentor"],
    f"POST {API}/leads/{{lead_id}}/assign assignee_id": MODEL_CASES["channel.Lead.assignee"],
    f"POST {API}/events/{{event_id}}/attendance attended_user_ids": Case(
        EXEMPT, "program.services.event_attendance (program office only)", "a record of who came to a past event; no work"),
    f"POST {API}/cases assignee_id": MODEL_CASES["service.ServiceCase.assignee"],
    f"POST {API}/cases/{{case_id}}/assign assignee_id": MODEL_CASES["service.ServiceCase.assignee"],
}

PERSON_FIELD = re.compile(
    r"(owner|assignee|kam|mentor|responsible|user|recipient|manager|executive|reviewer|participant|_by)(_ids?)$")


def model_user_fields(models_=None) -> set[str]:
    """Every concrete foreign key / many-to-many from one of our models to the user model."""
    user_model = get_user_model()
    found = set()
    for model in models_ if models_ is not None else apps.get_models():
        if not model.__module__.startswith("keychannel.") or model.__name__.startswith("Historical"):
            continue
        for f in model._meta.get_fields():
            if f.is_relation and f.concrete and not f.auto_created and f.related_model is user_model:
                found.add(f"{model._meta.label}.{f.name}")
    return found


def api_user_fields(schema=None) -> set[str]:
    """Every input field of a write operation whose name says it holds a person."""
    if schema is None:
        from keychannel.api import api

        schema = api.get_openapi_schema(path_prefix=API)
    components = schema.get("components", {}).get("schemas", {})

    def properties(node):
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        props = dict(node.get("properties", {}))
        for value in list(props.values()):  # multipart bodies nest the JSON payload
            if "$ref" in value:
                props.update(properties(value))
        return props

    found = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found.update(f"{method.upper()} {path} {name}" for name in properties(content["schema"])
                             if PERSON_FIELD.search(name))
    return found


def uncovered(model_fields, api_fields) -> set[str]:
    return (model_fields - set(MODEL_CASES)) | (api_fields - set(API_CASES))


def test_every_user_valued_field_has_a_case():
    missing = uncovered(model_user_fields(), api_user_fields())
    assert not missing, f"user-valued fields without an assignment case in {__name__}: {sorted(missing)}"
    this = sys.modules[__name__]
    for key, case in {**MODEL_CASES, **API_CASES}.items():
        if case.kind == REFUSED and "::" not in case.proof:
            assert callable(getattr(this, case.proof, None)), f"{key}: no test {case.proof}"


def test_an_undeclared_field_is_reported():
    """The guard itself: a new person field on a model or in an API body shows up as missing."""
    with isolate_apps("keychannel.core"):
        class Chore(models.Model):  # noqa: DJ008 - a throwaway model for the guard
            assignee = models.ForeignKey(get_user_model(), on_delete=models.CASCADE, related_name="+")

            class Meta:
                app_label = "core"

    fake_api = {"paths": {"/api/v1/chores": {"post": {"requestBody": {"content": {"application/json": {
        "schema": {"properties": {"title": {}, "assignee_id": {}}}}}}}}}}
    missing = uncovered(model_user_fields([*apps.get_models(), Chore]), api_user_fields(fake_api))
    assert missing == {"core.Chore.assignee", "POST /api/v1/chores assignee_id"}


def test_manufacturer_only_fields_are_closed_to_distributor_users(world):
    for key, case in {**MODEL_CASES, **API_CASES}.items():
        if case.kind == MANUFACTURER:
            for role in ("dist_head", "dist_sales"):
                assert not can(world.principal(role), case.proof, world.own), (key, role)


# ---- the rule ----------------------------------------------------------------------------------------------

def test_who_may_assign_whom(world):
    head, admin, cm = world.principal("dist_head"), world.principal("admin"), world.principal("channel_manager")
    u = world.users
    assert may_assign(head, u["dist_sales"]) and may_assign(head, u["dist_head"])
    for role in ("embedded_kam", "mentor", "executive", "program_manager", "channel_manager", "admin"):
        assert not may_assign(head, u[role]), role
    assert not may_assign(head, world.other_users["dist_sales"])
    assert may_assign(admin, u["embedded_kam"]) and may_assign(admin, world.other_users["dist_sales"])
    assert may_assign(cm, u["dist_sales"]) and not may_assign(cm, world.other_users["dist_sales"])


def events(username, action=None):
    qs = SecurityEvent.objects.filter(kind=SecurityEventKind.FORBIDDEN_WRITE, username=username,
                                      action__startswith="assign:")
    return qs.filter(action=action) if action else qs


def _json(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


@pytest.fixture
def key_client(world):
    from keychannel.deals.tests.factories import ClientFactory

    return ClientFactory(distributor=world.own, is_key_account=True, created_by=world.users["dist_head"])


@pytest.fixture
def deal(world, key_client):
    from keychannel.deals.tests.factories import OpportunityFactory

    # The manufacturer put its KAM and mentor on this deal.
    return OpportunityFactory(client=key_client, owner=world.users["dist_sales"], kam=world.users["embedded_kam"],
                              mentor=world.users["mentor"])


# ---- deals ---------------------------------------------------------------------------------------------------

def test_deal_api_refuses_manufacturer_people(world, api_as, key_client):
    from keychannel.deals.models import Opportunity

    api = api_as(world.users["dist_head"])
    u = world.users
    for field, person in (("owner_id", u["embedded_kam"]), ("owner_id", u["executive"]), ("mentor_id", u["mentor"]),
                          ("kam_id", u["embedded_kam"])):
        response = _json(api, "POST", f"{API}/opportunities", {"title": "Pumps", "client_id": key_client.pk,
                                                                field: person.pk})
        assert response.status_code == 403, (field, response.content)
    assert not Opportunity.objects.filter(client=key_client).exists()
    assert events("w-da-head").count() == 4
    assert events("w-da-head", "assign:deals.opportunity.kam").count() == 1
    # Their own people: fine.
    ok = _json(api, "POST", f"{API}/opportunities", {"title": "Pumps", "client_id": key_client.pk,
                                                     "owner_id": u["dist_sales"].pk})
    assert ok.status_code == 201, ok.content


def test_deal_patch_refuses_new_manufacturer_people_and_keeps_the_ones_set(world, api_as, deal):
    api = api_as(world.users["dist_head"])
    url = f"{API}/opportunities/{deal.pk}"
    refused = _json(api, "PATCH", url, {"owner_id": world.users["embedded_kam"].pk, "title": "Changed"})
    assert refused.status_code == 403
    deal.refresh_from_db()
    assert deal.owner == world.users["dist_sales"] and deal.title != "Changed"
    assert events("w-da-head", "assign:deals.opportunity.owner").count() == 1
    # Re-saving the deal with the KAM and mentor the manufacturer set keeps working.
    kept = _json(api, "PATCH", url, {"kam_id": world.users["embedded_kam"].pk, "mentor_id": world.users["mentor"].pk,
                                     "title": "Changed"})
    assert kept.status_code == 200, kept.content
    deal.refresh_from_db()
    assert deal.title == "Changed" and deal.kam == world.users["embedded_kam"]
    # The manufacturer assigns as before.
    admin = _json(api_as(world.users["admin"]), "PATCH", url, {"owner_id": world.users["embedded_kam"].pk})
    assert admin.status_code == 200, admin.content


def _deal_form(deal, **changes):
    data = {"title": deal.title, "value": str(deal.value), "volume": str(deal.volume),
            "owner": deal.owner_id, "mentor": deal.mentor_id or "", "kam": deal.kam_id or "",
            "expected_close_on": deal.expected_close_on.isoformat(), "next_step": deal.next_step,
            "next_step_on": deal.next_step_on.isoformat(), "source_reference": ""}
    data.update(changes)
    return data


def test_deal_form_refuses_with_422_and_offers_only_own_people(world, login, deal):
    page = login(world.users["dist_head"])
    url = reverse("deals:opportunity_update", args=[deal.pk])
    shown = page.get(url).content.decode()
    assert f'value="{world.users["executive"].pk}"' not in shown  # not offered as owner
    assert f'value="{world.users["embedded_kam"].pk}"' in shown  # the KAM the deal has stays shown
    refused = page.post(url, _deal_form(deal, owner=world.users["executive"].pk))
    assert refused.status_code == 422
    assert "Only the manufacturer gives work to its people" in refused.content.decode()
    deal.refresh_from_db()
    assert deal.owner == world.users["dist_sales"]
    assert events("w-da-head", "assign:deals.opportunity.owner").count() == 1
    # Re-saving with the manufacturer's KAM and mentor in place redirects (saved).
    assert page.post(url, _deal_form(deal, title="Saved")).status_code == 302
    deal.refresh_from_db()
    assert deal.title == "Saved"


def test_contract_owner_refuses_manufacturer_people(world):
    from keychannel.deals import services
    from keychannel.deals.tests.factories import ClientFactory, ContractFactory

    contract = ContractFactory(client=ClientFactory(distributor=world.own), owner=world.users["dist_sales"])
    with pytest.raises(AssignmentRefused):
        services.contract_update(principal=world.principal("dist_head"), contract=contract,
                                 owner=world.users["embedded_kam"])
    contract.refresh_from_db()
    assert contract.owner == world.users["dist_sales"]
    assert events("w-da-head", "assign:deals.corporatecontract.owner").count() == 1


# ---- clients -------------------------------------------------------------------------------------------------

def test_account_plan_refuses_manufacturer_owners(world, login, key_client):
    from keychannel.clients.models import AccountAction, AccountObjective, AccountPlan

    page = login(world.users["dist_head"])
    kam = world.users["embedded_kam"]
    url = reverse("clients:account_plan", args=[key_client.pk])
    refused = page.post(url, {"ambition": "Grow", "situation": "", "owner": kam.pk, "review_on": ""})
    assert refused.status_code == 422
    assert "Only the manufacturer gives work to its people" in refused.content.decode()
    assert not AccountPlan.objects.filter(client=key_client, owner=kam).exists()
    for kind, body in (("objective", {"objective-title": "Win pumps", "objective-owner": kam.pk,
                                      "objective-status": "open"}),
                       ("action", {"action-title": "Call", "action-owner": kam.pk, "action-status": "planned"})):
        response = page.post(reverse("clients:account_plan_item_add", args=[key_client.pk, kind]), body, follow=True)
        assert "Only the manufacturer gives work to its people" in response.content.decode(), kind
    assert not AccountObjective.objects.exists() and not AccountAction.objects.exists()
    assert events("w-da-head").count() == 3
    # Their own people are fine.
    assert page.post(url, {"ambition": "Grow", "owner": world.users["dist_sales"].pk}).status_code == 302


def test_stakeholder_contact_refuses_manufacturer_people(world, api_as, key_client):
    from keychannel.clients.models import StakeholderContact
    from keychannel.deals.tests.factories import StakeholderFactory

    stakeholder = StakeholderFactory(client=key_client)
    api = api_as(world.users["dist_head"])
    url = f"{API}/stakeholders/{stakeholder.pk}/contacts"
    assert _json(api, "POST", url, {"user_id": world.users["embedded_kam"].pk}).status_code == 403
    assert not StakeholderContact.objects.exists()
    assert events("w-da-head", "assign:clients.stakeholdercontact.user").count() == 1
    assert _json(api, "POST", url, {"user_id": world.users["dist_sales"].pk}).status_code == 200


# ---- network: readiness actions --------------------------------------------------------------------------------

def test_readiness_action_refuses_manufacturer_owner(world, api_as, login):
    from keychannel.network.defaults import ensure_defaults
    from keychannel.network.models import ActionItem, ReadinessAssessment, ReadinessQuestionnaire

    ensure_defaults()
    assessment = ReadinessAssessment.objects.create(
        distributor=world.own, questionnaire=ReadinessQuestionnaire.objects.get(version=1),
        assessed_on=datetime.date(2026, 1, 15), score=50)
    api = api_as(world.users["dist_head"])
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    kam = world.users["embedded_kam"]
    response = _json(api, "POST", f"{API}/readiness/{assessment.pk}/actions",
                     {"title": "Train", "owner_id": kam.pk, "due_on": due})
    assert response.status_code == 403
    assert not ActionItem.objects.exists()
    item = ActionItem.objects.create(assessment=assessment, title="Train", due_on=due, owner=world.users["dist_sales"])
    assert _json(api, "PATCH", f"{API}/readiness/actions/{item.pk}", {"owner_id": kam.pk}).status_code == 403
    page = login(world.users["dist_head"])
    form = page.post(reverse("network:action_item_update", args=[item.pk]),
                     {"title": "Train", "owner": kam.pk, "due_on": due, "status": "open"})
    assert form.status_code == 422
    item.refresh_from_db()
    assert item.owner == world.users["dist_sales"]
    assert events("w-da-head", "assign:network.actionitem.owner").count() == 3


# ---- the event outlives the refused write ----------------------------------------------------------------------

def test_a_refusal_caught_inside_a_transaction_keeps_its_event(world, deal):
    """What the demo does: catch the refusal inside its own transaction; the event stays, the deal does not change."""
    from keychannel.deals import services

    with transaction.atomic():
        with pytest.raises(AssignmentRefused):
            services.opportunity_update(principal=world.principal("dist_head"), opportunity=deal,
                                        owner=world.users["embedded_kam"])
    deal.refresh_from_db()
    assert deal.owner == world.users["dist_sales"]
    assert events("w-da-head", "assign:deals.opportunity.owner").count() == 1

"""The registration gate on every write path (docs/rules.md, "Registration gate").

The scenario of issue 14: a distributor (``own``, compressors) creates a client in Iași, where ``other`` holds
exclusive rights on pumps, and opens a 900,000 RON pumps deal directly at negotiation without a registration.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel.choices import ConflictKind, RegistrationStatus
from keychannel.channel.models import ChannelPolicy, Conflict, DealRegistration
from keychannel.channel.tests.factories import cover, make_client, make_registration
from keychannel.deals import services as deals
from keychannel.deals.choices import Stage
from keychannel.deals.gate import DealGateRefused
from keychannel.deals.models import Opportunity, StageChange
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.network.tests.factories import ProductLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db
BIG = Decimal("900000")


def _json(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def iasi(world):
    """Iași: ``other`` holds pumps exclusively; ``own`` covers compressors at home (the world's territory)."""
    world.iasi = TerritoryFactory(name="Iași", code="iasi")
    world.pumps = ProductLineFactory(name="Pumps", code="pumps")
    cover(world.other, world.iasi, world.pumps, exclusive=True)
    cover(world.own, world.territory, world.product_line)
    world.iasi_client = make_client(distributor=world.own, territory=world.iasi, legal_name="Fabrica Iași SA")
    return world


def _create(world, *, role="dist_sales", stage=Stage.NEGOTIATION, client=None, lines=None, value=BIG, **kw):
    return deals.opportunity_create(
        principal=world.principal(role), client=client or world.iasi_client, distributor=world.own,
        owner=world.user("dist_sales"), title="Pumps for the new hall", stage=stage, value=value,
        product_lines=lines if lines is not None else [world.pumps], **kw)


def _approved(world, *, lines, client=None, until=30):
    return make_registration(
        distributor=world.own, client=client or world.iasi_client, user=world.user("dist_sales"),
        status=RegistrationStatus.APPROVED, protected_until=today() + datetime.timedelta(days=until),
        submitted_on=today() - datetime.timedelta(days=3), product_lines=lines)


# --- the scenario, refused on every path --------------------------------------------------------------------------


def test_service_refuses_a_deal_opened_at_negotiation_in_anothers_exclusive_cell(iasi):
    with pytest.raises(DealGateRefused) as refused:
        _create(iasi)
    codes = [r.code for r in refused.value.refusals]
    assert "exclusive_other" in codes and "value" in codes
    text = " ".join(refused.value.messages)
    assert "exclusive rights for Pumps" in text
    assert iasi.other.legal_name not in text and iasi.other.code not in text  # the rule, never the other side
    assert refused.value.registration_url.startswith(reverse("channel:registration_create") + "?")
    assert not Opportunity.objects.exists()


def test_api_create_at_negotiation_is_a_422_naming_the_rule_with_a_registration_url(iasi, api_as):
    response = _json(api_as(iasi.user("dist_sales")), "POST", "/api/v1/opportunities", {
        "title": "Pumps", "client_id": iasi.iasi_client.pk, "stage": "negotiation", "value": "900000",
        "product_line_ids": [iasi.pumps.pk]})
    assert response.status_code == 422, response.content
    body = response.json()
    assert "exclusive_other" in body["rules"]
    assert body["registration_url"].startswith("/channel/registrations/new/?")
    assert f"client={iasi.iasi_client.pk}" in body["registration_url"]
    assert body["detail"][0]["loc"] == ["body", "registration"]
    assert not Opportunity.objects.exists()


def test_first_stage_is_free_but_moving_on_or_winning_is_refused_on_api_kanban_and_form(iasi, api_as, login):
    deal = _create(iasi, stage=Stage.DISCUSSION)  # the first stage needs nothing
    api = api_as(iasi.user("dist_sales"))
    response = _json(api, "POST", f"/api/v1/opportunities/{deal.pk}/move", {"stage": "consultation"})
    assert response.status_code == 422 and "exclusive_other" in response.json()["rules"]
    assert f"opportunity={deal.pk}" in response.json()["registration_url"]

    web = login(iasi.user("dist_sales"))
    url = reverse("deals:opportunity_move", args=[deal.pk])
    kanban = web.post(url, {"stage": "proposal"}, HTTP_HX_REQUEST="true")
    assert kanban.status_code == 422
    assert "exclusive rights" in kanban.content.decode()
    assert kanban["X-Registration-Url"].startswith("/channel/registrations/new/?")
    form = web.post(url, {"stage": "proposal"})
    assert form.status_code == 422
    assert 'id="register-this-deal"' in form.content.decode()

    Opportunity.objects.filter(pk=deal.pk).update(stage=Stage.NEGOTIATION)  # as if it got there before the rule
    with pytest.raises(DealGateRefused):
        deals.opportunity_move(principal=iasi.principal("dist_head"), opportunity=deal, stage=Stage.WON)
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION and deal.contract_id is None
    assert StageChange.objects.filter(opportunity=deal).count() == 1  # only "opened"


def test_new_deal_form_refuses_and_offers_register_this_deal(iasi, login):
    web = login(iasi.user("dist_sales"))
    response = web.post(reverse("deals:opportunity_create"), {
        "title": "Pumps", "client": iasi.iasi_client.pk, "stage": "negotiation", "origin": "manual",
        "value": "900000", "volume": "1", "product_lines": [iasi.pumps.pk], "owner": iasi.user("dist_sales").pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="register-this-deal"' in page and "exclusive rights for Pumps" in page
    assert not Opportunity.objects.exists()


def test_changing_the_lines_of_a_deal_past_the_first_stage_is_checked_again(iasi, api_as):
    client = make_client(distributor=iasi.own, territory=iasi.territory)
    deal = _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("100000"))  # own cell: fine
    response = _json(api_as(iasi.user("dist_sales")), "PATCH", f"/api/v1/opportunities/{deal.pk}",
                     {"product_line_ids": [iasi.product_line.pk, iasi.pumps.pk]})
    assert response.status_code == 422 and response.json()["rules"] == ["no_coverage"]
    assert list(deal.product_lines.all()) == [iasi.product_line]
    # Editing anything else of the deal is not gated.
    assert _json(api_as(iasi.user("dist_sales")), "PATCH", f"/api/v1/opportunities/{deal.pk}",
                 {"next_step": "Call"}).status_code == 200


def _admin_data(deal, **changes):
    data = {
        "title": deal.title, "client": deal.client_id, "distributor": deal.distributor_id, "owner": deal.owner_id,
        "mentor": "", "kam": "", "product_lines": [p.pk for p in deal.product_lines.all()], "value": str(deal.value),
        "volume": str(deal.volume), "lost_reason": "", "expected_close_on": "", "next_step": "", "next_step_on": "",
        "origin": deal.origin, "source_reference": "", "gate_override_note": "",
        "stage_changes-TOTAL_FORMS": "0", "stage_changes-INITIAL_FORMS": "0",
        "stage_changes-MIN_NUM_FORMS": "0", "stage_changes-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_admin_cannot_move_a_deal_into_anothers_exclusive_cell_without_an_override(iasi, login):
    client = make_client(distributor=iasi.own, territory=iasi.territory)
    deal = _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("100000"))
    web = login(iasi.user("admin"))
    url = reverse("admin:deals_opportunity_change", args=[deal.pk])
    refused = web.post(url, _admin_data(deal, client=iasi.iasi_client.pk, product_lines=[iasi.pumps.pk]))
    assert refused.status_code == 200 and "exclusive rights for Pumps" in refused.content.decode()
    deal.refresh_from_db()
    assert deal.client_id == client.pk

    saved = web.post(url, _admin_data(deal, client=iasi.iasi_client.pk, product_lines=[iasi.pumps.pk],
                                      gate_override_note="Framework agreed with both distributors"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    deal.refresh_from_db()
    assert deal.client_id == iasi.iasi_client.pk
    assert deal.gate_override_reason == "Framework agreed with both distributors"
    assert deal.gate_override_by == iasi.user("admin") and "exclusive_other" in deal.gate_override_rules


# --- the ways through ---------------------------------------------------------------------------------------------


def test_an_approved_unexpired_registration_covering_the_lines_lets_the_deal_through_to_won(iasi):
    _approved(iasi, lines=[iasi.pumps])
    deal = _create(iasi)
    won = deals.opportunity_move(principal=iasi.principal("dist_head"), opportunity=deal, stage=Stage.WON)
    assert won.stage == Stage.WON and won.contract_id is not None
    assert won.gate_override_at is None


def test_expired_or_narrower_registrations_do_not(iasi):
    _approved(iasi, lines=[iasi.product_line, iasi.pumps], until=-1)  # protection ended yesterday
    with pytest.raises(DealGateRefused):
        _create(iasi)
    DealRegistration.objects.update(status=RegistrationStatus.EXPIRED)
    _approved(iasi, lines=[iasi.product_line])  # compressors only: does not open a pumps deal
    with pytest.raises(DealGateRefused):
        _create(iasi)


def test_manufacturer_override_with_a_reason_is_recorded_and_shown(iasi, api_as, login):
    program = api_as(iasi.user("program_manager"))
    body = {"title": "Pumps", "client_id": iasi.iasi_client.pk, "stage": "negotiation", "value": "900000",
            "product_line_ids": [iasi.pumps.pk], "owner_id": iasi.user("dist_sales").pk}
    assert _json(program, "POST", "/api/v1/opportunities", body).status_code == 422  # no reason: refused too
    response = _json(program, "POST", "/api/v1/opportunities",
                     {**body, "gate_override_reason": "Tender rules: the client named this distributor"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["gate_override_reason"] == "Tender rules: the client named this distributor"
    assert data["gate_override_by_id"] == iasi.user("program_manager").pk and data["gate_override_at"]
    deal = Opportunity.objects.get(pk=data["id"])
    # The override stands for the deal's later moves.
    deals.opportunity_move(principal=iasi.principal("dist_head"), opportunity=deal, stage=Stage.WON)
    page = login(iasi.user("dist_head")).get(deal.get_absolute_url()).content.decode()
    assert 'id="gate-override"' in page and "Tender rules: the client named this distributor" in page


def test_a_distributor_cannot_override_the_gate(iasi, api_as):
    response = _json(api_as(iasi.user("dist_head")), "POST", "/api/v1/opportunities", {
        "title": "Pumps", "client_id": iasi.iasi_client.pk, "stage": "negotiation", "value": "900000",
        "product_line_ids": [iasi.pumps.pk], "gate_override_reason": "We say so"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "gate_override_reason"]
    assert not Opportunity.objects.exists()


def test_own_book_and_coverage_need_nothing(iasi):
    client = make_client(distributor=iasi.own, territory=iasi.territory)
    deal = _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("100000"))
    assert deals.opportunity_move(principal=iasi.principal("dist_sales"), opportunity=deal, stage=Stage.WON).stage == Stage.WON


def test_key_account_and_value_rules_follow_the_policy(iasi, api_as):
    client = make_client(distributor=iasi.own, territory=iasi.territory, is_key_account=True)
    with pytest.raises(DealGateRefused) as refused:
        _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("600000"))
    assert [r.code for r in refused.value.refusals] == ["key_account", "value"]

    head, program = api_as(iasi.user("dist_head")), api_as(iasi.user("program_manager"))
    assert _json(head, "GET", "/api/v1/channel-policy").json()["key_accounts_need_registration"] is True
    assert _json(head, "PATCH", "/api/v1/channel-policy", {"key_accounts_need_registration": False}).status_code == 403
    response = _json(program, "PATCH", "/api/v1/channel-policy",
                     {"key_accounts_need_registration": False, "registration_value_threshold": None})
    assert response.status_code == 200, response.content
    assert ChannelPolicy.current().updated_by == iasi.user("program_manager")
    assert _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("600000")).stage == Stage.NEGOTIATION


def test_direct_or_moved_clients_need_a_registration(iasi):
    client = make_client(distributor=iasi.own, territory=iasi.territory)
    deal = _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("100000"), stage=Stage.DISCUSSION)
    client.distributor = iasi.other  # the client went to another book (a conflict was awarded) meanwhile
    client.save()
    with pytest.raises(DealGateRefused) as refused:
        deals.opportunity_move(principal=iasi.principal("dist_head"), opportunity=deal, stage=Stage.PROPOSAL)
    assert [r.code for r in refused.value.refusals] == ["client_other"]


# --- "register this deal" -----------------------------------------------------------------------------------------


def test_register_this_deal_runs_the_checks_opens_the_conflict_and_then_lets_the_deal_through(iasi, api_as, login):
    deal = _create(iasi, stage=Stage.DISCUSSION)
    refused = _json(api_as(iasi.user("dist_sales")), "POST", f"/api/v1/opportunities/{deal.pk}/move",
                    {"stage": "proposal"}).json()
    form = login(iasi.user("dist_sales")).get(refused["registration_url"])
    assert form.status_code == 200
    assert f'value="{deal.pk}"' in form.content.decode()  # the hidden opportunity field is filled in

    response = _json(api_as(iasi.user("dist_sales")), "POST", "/api/v1/registrations", {
        "client_id": iasi.iasi_client.pk, "title": deal.title, "product_line_ids": [iasi.pumps.pk],
        "estimated_value": "900000", "expected_close_on": (today() + datetime.timedelta(days=60)).isoformat(),
        "opportunity_id": deal.pk})
    assert response.status_code == 201, response.content
    registration = DealRegistration.objects.get(pk=response.json()["id"])
    assert registration.opportunity_id == deal.pk
    conflict = Conflict.objects.get(registration=registration, kind=ConflictKind.TERRITORY)
    assert "Pumps" in conflict.reason

    cm = api_as(iasi.user("channel_manager"))
    assert _json(cm, "POST", f"/api/v1/conflicts/{conflict.pk}/resolve",
                 {"resolution": "awarded", "awarded_to_id": iasi.own.pk, "note": "Agreed with the holder"}
                 ).status_code == 200
    for other in Conflict.objects.filter(registration=registration).exclude(pk=conflict.pk):
        _json(cm, "POST", f"/api/v1/conflicts/{other.pk}/resolve",
              {"resolution": "awarded", "awarded_to_id": iasi.own.pk, "note": "Agreed"})
    assert _json(cm, "POST", f"/api/v1/registrations/{registration.pk}/approve", {}).status_code == 200
    assert Opportunity.objects.count() == 1  # the approval protects this deal instead of opening another
    moved = _json(api_as(iasi.user("dist_sales")), "POST", f"/api/v1/opportunities/{deal.pk}/move",
                  {"stage": "proposal"})
    assert moved.status_code == 200, moved.content


def test_paths_that_open_deals_in_the_first_stage_are_not_gated(iasi):
    """Lead acceptance and registration approval open deals in the first stage: nothing to check there."""
    deal = OpportunityFactory(client=iasi.iasi_client, owner=iasi.user("dist_sales"), stage=Stage.DISCUSSION)
    deal.product_lines.set([iasi.pumps])
    assert deals.opportunity_move(principal=iasi.principal("dist_sales"), opportunity=deal, stage=Stage.LOST,
                                  lost_reason_code="budget").stage == Stage.LOST

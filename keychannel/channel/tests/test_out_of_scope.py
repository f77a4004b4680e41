"""Issue 14 (4): taking a client out of scope keeps running business (docs/rules.md).

The demo's scenario: the decision took the distributor's open deals and its active contract at once and left the
other open conflicts on the client open. Now the deals stay the distributor's for a grace period (or go one by one
with the decision), the contract runs to its end unless ended with a reason, and the decision closes the rest.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services
from keychannel.channel.choices import ConflictKind, ConflictStatus, PartyRole, RegistrationStatus, Resolution
from keychannel.channel.models import ChannelPolicy, Conflict, ConflictParty, DealRegistration
from keychannel.channel.out_of_scope import hand_over_after_grace
from keychannel.channel.tests.factories import cover, make_client, make_conflict, make_registration
from keychannel.clients.models import CorporateClient
from keychannel.core.models import Notification
from keychannel.deals.choices import ContractStatus, Stage
from keychannel.deals.models import Activity, CorporateContract, Opportunity
from keychannel.deals.tests.factories import ContractFactory, OpportunityFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

OTHER_CONFLICTS = 3  # the demo had 21; three show the rule without slowing the suite


@pytest.fixture
def scene(world):
    """own serves the client: two open deals, one lost, an active contract; other's registration raised a conflict,
    and more conflicts on the same client are open."""
    cover(world.own, world.territory, world.product_line)
    cover(world.other, world.territory, world.product_line)
    client = make_client(distributor=world.own, territory=world.territory, legal_name="Carpathia Foods SA")
    sales = world.user("dist_sales")
    deals = [OpportunityFactory(client=client, owner=sales, stage=Stage.PROPOSAL, title=f"Cold chain {i}")
             for i in (1, 2)]
    lost = OpportunityFactory(client=client, owner=sales, stage=Stage.LOST, lost_reason="price")
    stakeholder = StakeholderFactory(client=client, full_name="Ana Buyer")
    Activity.objects.create(opportunity=deals[0], kind="meeting", subject="Site visit", occurred_on=today(),
                            created_by=sales)
    contract = ContractFactory(client=client, owner=world.user("dist_head"))
    mine = make_registration(distributor=world.own, client=client, user=sales, status=RegistrationStatus.APPROVED,
                             protected_until=today() + datetime.timedelta(days=30))
    theirs = make_registration(distributor=world.other, client=client, user=world.other_users["dist_sales"],
                               holds_claim=False)
    conflict = make_conflict(registration=theirs, other=world.own, other_registration=mine)
    others = []
    for _ in range(OTHER_CONFLICTS):
        other = Conflict.objects.create(kind=ConflictKind.PRICING, client=client, client_name=client.legal_name,
                                        reason="price war", due_on=today() + datetime.timedelta(days=10))
        ConflictParty.objects.create(conflict=other, distributor=world.other, role=PartyRole.CLAIMANT)
        others.append(other)
    world.cache.update(client=client, deals=deals, lost=lost, contract=contract, mine=mine, theirs=theirs,
                       conflict=conflict, others=others, stakeholder=stakeholder)
    return world


def _decide(w, **extra):
    fields = dict(resolution=Resolution.OUT_OF_SCOPE, note="Strategic account.", out_of_scope_reason="strategic_account",
                  notice_days=30)
    fields.update(extra)
    return services.conflict_resolve(principal=w.principal("program_manager"), conflict=w.cache["conflict"], **fields)


def _unchanged(w):
    assert Conflict.objects.get(pk=w.cache["conflict"].pk).status == ConflictStatus.OPEN
    assert not CorporateClient.objects.get(pk=w.cache["client"].pk).out_of_scope
    assert set(Opportunity.objects.filter(client=w.cache["client"]).values_list("distributor_id", flat=True)) == {w.own.pk}
    assert CorporateContract.objects.get(pk=w.cache["contract"].pk).status == ContractStatus.ACTIVE


def test_the_demo_scenario_keeps_running_business(scene, api_as, login):
    w = scene
    pm_api = api_as(w.user("program_manager"))
    assert pm_api.patch("/api/v1/channel-policy", {"out_of_scope_grace_days": 400},
                        content_type="application/json").status_code == 422
    assert pm_api.patch("/api/v1/channel-policy", {"out_of_scope_grace_days": 60},
                        content_type="application/json").json()["out_of_scope_grace_days"] == 60
    assert ChannelPolicy.current().out_of_scope_grace_days == 60
    conflict = _decide(w)
    grace_end = today() + datetime.timedelta(days=60)
    assert conflict.grace_until == grace_end  # the channel policy's default
    # the distributor's open deals stay its own until the grace end, visible and workable
    for deal in w.cache["deals"]:
        deal.refresh_from_db()
        assert deal.distributor_id == w.own.pk and deal.kept_until == grace_end and deal.handed_over_to_id is None
    sales_api = api_as(w.user("dist_sales"))
    detail = sales_api.get(f"/api/v1/opportunities/{w.cache['deals'][0].pk}")
    assert detail.status_code == 200 and detail.json()["kept_until"] == grace_end.isoformat()
    page = login(w.user("dist_sales")).get(reverse("deals:opportunity_detail", args=[w.cache["deals"][0].pk]))
    assert page.status_code == 200 and 'id="deal-kept-until"' in page.content.decode()
    moved = sales_api.post(f"/api/v1/opportunities/{w.cache['deals'][0].pk}/move", {"stage": "negotiation"},
                           content_type="application/json")
    assert moved.status_code == 200, moved.content
    # the active contract runs on, and its distributor still sees it
    contract = CorporateContract.objects.get(pk=w.cache["contract"].pk)
    assert contract.status == ContractStatus.ACTIVE and contract.ends_on == w.cache["contract"].ends_on
    assert api_as(w.user("dist_head")).get(f"/api/v1/contracts/{contract.pk}").status_code == 200
    # every other open conflict and every registration on the client is closed, linked to the decision
    for other in Conflict.objects.filter(pk__in=[c.pk for c in w.cache["others"]]):
        assert other.status == ConflictStatus.RESOLVED and other.closed_by_decision_id == conflict.pk
        assert f"#{conflict.pk}" in other.decision_note
    assert not Conflict.objects.open().filter(client=w.cache["client"]).exists()
    for registration in DealRegistration.objects.filter(client=w.cache["client"]):
        assert registration.status == RegistrationStatus.REJECTED and registration.closed_by_conflict_id == conflict.pk
    # every party hears of it
    told = Notification.objects.values_list("recipient__username", "title")
    recipients = {name for name, _ in told}
    assert {w.user("dist_sales").username, w.user("dist_head").username,
            w.other_users["dist_sales"].username, w.other_users["dist_head"].username} <= recipients
    assert any("stays yours" in title for name, title in told if name == w.user("dist_sales").username)
    page = api_as(w.user("program_manager")).get(f"/api/v1/conflicts/{w.cache['others'][0].pk}").json()
    assert page["closed_by_decision_id"] == conflict.pk


def test_one_deal_handed_over_with_the_decision_then_the_rest_after_the_grace_period(scene, api_as):
    w = scene
    first, second = w.cache["deals"]
    conflict = _decide(w, grace_days=10, hand_over_ids=[first.pk])
    project = conflict.project_opportunity
    first.refresh_from_db()
    assert (first.distributor_id, first.handed_over_to_id, first.handed_over_from_id) == (None, project.pk, w.own.pk)
    assert first.owner_id == project.owner_id
    second.refresh_from_db()
    assert second.distributor_id == w.own.pk and second.kept_until == today() + datetime.timedelta(days=10)
    sales_api = api_as(w.user("dist_sales"))
    assert sales_api.get(f"/api/v1/opportunities/{first.pk}").status_code == 404
    assert sales_api.get(f"/api/v1/opportunities/{second.pk}").status_code == 200

    assert hand_over_after_grace(on_date=today() + datetime.timedelta(days=10)) == 0  # the last day is still theirs
    assert hand_over_after_grace(on_date=today() + datetime.timedelta(days=11)) == 1
    second.refresh_from_db()
    assert second.distributor_id is None and second.handed_over_to_id == project.pk
    assert Opportunity.objects.get(pk=w.cache["lost"].pk).distributor_id == w.own.pk  # closed deals stay as they were
    call_command("expire_registrations", stdout=open("/dev/null", "w"))  # the daily job runs the hand-over too
    # the manufacturer-led project starts from the client's history
    pm_api = api_as(w.user("program_manager"))
    assert {d.pk for d in project.handed_over_deals.all()} == {first.pk, second.pk}
    assert pm_api.get(f"/api/v1/opportunities/{first.pk}").json()["handed_over_to_id"] == project.pk
    assert [a["subject"] for a in pm_api.get(f"/api/v1/opportunities/{first.pk}/activities").json()["items"]] == \
        ["Site visit"]
    names = [s["full_name"] for s in pm_api.get(f"/api/v1/clients/{w.cache['client'].pk}/stakeholders").json()]
    assert names == ["Ana Buyer"]
    assert sales_api.get(f"/api/v1/opportunities/{second.pk}").status_code == 404


def test_bad_hand_over_ids_change_nothing(scene):
    w = scene
    elsewhere = OpportunityFactory(client=make_client(distributor=w.own, territory=w.territory),
                                   owner=w.user("dist_sales"))
    for ids in ([elsewhere.pk], [w.cache["lost"].pk], ["x"]):
        with pytest.raises(ValidationError) as exc:
            _decide(w, hand_over_ids=ids)
        assert "hand_over_ids" in exc.value.message_dict
    _unchanged(w)


def test_ending_the_contract_needs_a_reason(scene):
    w = scene
    with pytest.raises(ValidationError) as exc:
        _decide(w, end_contract=True, end_contract_reason="  ")
    assert set(exc.value.message_dict) == {"end_contract_reason"}
    _unchanged(w)
    _decide(w, end_contract=True, end_contract_reason="The client asked to buy direct.")
    contract = CorporateContract.objects.get(pk=w.cache["contract"].pk)
    assert contract.status == ContractStatus.TERMINATED and contract.ends_on == today()
    assert contract.ended_reason == "The client asked to buy direct."
    assert Notification.objects.filter(recipient=w.user("dist_head"), title__contains="ended").exists()


def test_zero_grace_days_hand_every_open_deal_over_now(scene):
    w = scene
    conflict = _decide(w, grace_days=0)
    assert set(conflict.project_opportunity.handed_over_deals.values_list("pk", flat=True)) == {
        d.pk for d in w.cache["deals"]}


def test_api_and_form_take_grace_days_hand_over_and_end_contract(scene, api_as, login):
    w = scene
    url = f"/api/v1/conflicts/{w.cache['conflict'].pk}/resolve"
    body = {"resolution": "out_of_scope", "note": "Strategic.", "out_of_scope_reason": "strategic_account",
            "notice_days": 30}
    api = api_as(w.user("program_manager"))
    assert api.post(url, {**body, "grace_days": 400}, content_type="application/json").status_code == 422
    refused = api.post(url, {**body, "end_contract": True}, content_type="application/json")
    assert refused.status_code == 422 and "end_contract_reason" in refused.content.decode()
    _unchanged(w)
    page = login(w.user("program_manager"))
    form_url = reverse("channel:conflict_resolve", args=[w.cache["conflict"].pk])
    html = page.get(w.cache["conflict"].get_absolute_url()).content.decode()
    assert 'name="grace_days"' in html and 'name="hand_over"' in html and 'name="end_contract_reason"' in html
    bad = page.post(form_url, {**body, "end_contract": "on"})
    assert bad.status_code == 422
    _unchanged(w)
    ok = page.post(form_url, {**body, "grace_days": 20, "hand_over": [w.cache["deals"][1].pk]})
    assert ok.status_code == 302
    conflict = Conflict.objects.get(pk=w.cache["conflict"].pk)
    assert conflict.grace_until == today() + datetime.timedelta(days=20)
    assert Opportunity.objects.get(pk=w.cache["deals"][1].pk).handed_over_to_id == conflict.project_opportunity_id
    assert Opportunity.objects.get(pk=w.cache["deals"][0].pk).kept_until == conflict.grace_until
    closed = page.get(w.cache["others"][0].get_absolute_url()).content.decode()
    assert 'id="closed-by"' in closed

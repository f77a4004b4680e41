import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.core.choices import Role
from keychannel.core.exports import spreadsheet_safe
from keychannel.core.models import Notification
from keychannel.core.tests.factories import make_user, manufacturer
from keychannel.deals import forecast, selectors, services, signoff
from keychannel.deals.choices import Stage
from keychannel.deals.models import ContractNotice, CorporateContract, Opportunity, StageChange, StageSetting
from keychannel.deals.tests.factories import (
    ClientFactory,
    ContractFactory,
    OpportunityFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _json(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def own_client(world):
    # The distributor sells the world's line where the client is: the registration gate has nothing to say.
    from keychannel.network.models import Coverage

    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1))
    return ClientFactory(distributor=world.own, territory=world.territory, legal_name="Cimentul Nord SA")


def test_salesperson_takes_a_deal_from_discussion_to_won_through_a_product_test(world, api_as, own_client):
    sales = api_as(world.user("dist_sales"))
    buyer = StakeholderFactory(client=own_client, full_name="Ana Buyer")
    created = _json(sales, "POST", "/api/v1/opportunities",
                    {"title": "Compressors for plant 2", "client_id": own_client.pk, "value": "480000", "volume": "12",
                     "product_line_ids": [world.product_line.pk], "next_step": "Site visit",
                     "next_step_on": (TODAY() + datetime.timedelta(days=3)).isoformat()})
    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["distributor_id"] == world.own.pk and deal["owner"]["username"] == "w-da-sales"
    url = f"/api/v1/opportunities/{deal['id']}"

    assert _json(sales, "POST", f"{url}/move", {"stage": "consultation"}).status_code == 200
    assert _json(sales, "POST", f"{url}/move", {"stage": "product_testing"}).status_code == 200
    test = _json(sales, "POST", f"{url}/product-tests", {
        "title": "Two-week pilot", "starts_on": TODAY().isoformat(), "success_criteria": "8 % less energy",
        "samples": "1 loan unit", "signoff_stakeholder_ids": [buyer.pk]})
    assert test.status_code == 201, test.content
    logged = _json(sales, "POST", f"{url}/activities", {
        "kind": "product_test", "subject": "Pilot installed", "occurred_on": TODAY().isoformat(),
        "stakeholder_ids": [buyer.pk], "product_test_id": test.json()["id"]})
    assert logged.status_code == 201, logged.content
    buyer.refresh_from_db()
    assert buyer.last_contact_on == TODAY()

    early = _json(sales, "POST", f"{url}/move", {"stage": "won"})
    assert early.status_code == 422 and {e["loc"][-1] for e in early.json()["detail"]} >= {"stage", "product_tests"}
    assert _json(sales, "POST", f"{url}/move", {"stage": "proposal"}).status_code == 200
    pending = _json(sales, "POST", f"{url}/move", {"stage": "won"})
    assert pending.status_code == 422 and "pending" in pending.content.decode()
    test_url = f"/api/v1/product-tests/{test.json()['id']}"
    # Passed only with the client's approval and a manufacturer's sign-off (docs/rules.md, "Product-test sign-off").
    assert _json(sales, "PATCH", test_url, {"result": "passed"}).status_code == 422
    assert _json(sales, "POST", f"{test_url}/approvals", {"stakeholder_id": buyer.pk}).status_code == 201
    signed = _json(api_as(world.user("channel_manager")), "POST", f"{test_url}/signoff", {})
    assert signed.status_code == 201, signed.content
    assert _json(sales, "PATCH", test_url, {"result": "passed"}).status_code == 200
    won = _json(sales, "POST", f"{url}/move", {"stage": "won"})
    assert won.status_code == 200, won.content
    body = won.json()
    assert body["stage"] == "won" and body["contract_id"] and body["probability"] == 100
    assert [(h["from_stage"], h["to_stage"]) for h in body["stage_history"]] == [
        ("", "discussion"), ("discussion", "consultation"), ("consultation", "product_testing"),
        ("product_testing", "proposal"), ("proposal", "won")]
    assert {h["changed_by_id"] for h in body["stage_history"]} == {world.user("dist_sales").pk}

    contracts = sales.get("/api/v1/contracts").json()
    assert contracts["count"] == 1 and contracts["items"][0]["value"] == "480000.00"
    assert contracts["items"][0]["volume_commitment"] == "12.00"
    assert sales.get(f"/api/v1/product-tests/{test.json()['id']}").status_code in (404, 405)
    tests = sales.get(f"{url}/product-tests").json()["items"]
    assert tests[0]["contract_id"] == body["contract_id"]

    # The manufacturer sees it in the forecast; the other distributor sees none of it.
    forecast = api_as(world.user("executive")).get("/api/v1/forecast?by=distributor").json()
    row = next(r for r in forecast["rows"] if r["key"] == str(world.own.pk))
    assert row["won"] == "480000.00" and row["won_count"] == 1
    other = api_as(world.other_users["dist_head"])
    assert other.get("/api/v1/opportunities").json()["count"] == 0
    assert other.get(url).status_code == 404
    assert other.get("/api/v1/contracts").json()["count"] == 0
    assert other.get(f"/api/v1/contracts/{body['contract_id']}").status_code == 404
    assert other.get("/api/v1/forecast").json()["totals"]["won_count"] == 0
    # A won deal is closed.
    assert _json(sales, "POST", f"{url}/move", {"stage": "negotiation"}).status_code == 422


def test_lost_needs_a_reason_and_bad_moves_change_nothing(world, api_as, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"))
    client = api_as(world.user("dist_sales"))
    url = f"/api/v1/opportunities/{deal.pk}/move"
    assert _json(client, "POST", url, {"stage": "lost"}).status_code == 422
    # A reason from the list is required: free text alone, a blank or an unknown reason is refused.
    refused = _json(client, "POST", url, {"stage": "lost", "lost_reason": "Went with the incumbent"})
    assert refused.status_code == 422 and "Choose why the deal was lost" in refused.content.decode()
    assert _json(client, "POST", url, {"stage": "lost", "lost_reason_code": "whim"}).status_code == 422
    # "Other" must be written out.
    other = _json(client, "POST", url, {"stage": "lost", "lost_reason_code": "other", "lost_reason": "   "})
    assert other.status_code == 422 and "Say why the deal was lost" in other.content.decode()
    assert _json(client, "POST", url, {"stage": "bogus"}).status_code == 422
    deal.refresh_from_db()
    assert deal.stage == Stage.DISCUSSION and deal.lost_reason_code == ""
    assert StageChange.objects.filter(opportunity=deal).count() == 1
    ok = _json(client, "POST", url, {"stage": "lost", "lost_reason_code": "incumbent",
                                     "lost_reason": "Went with the incumbent"})
    assert ok.status_code == 200 and ok.json()["lost_reason"] == "Went with the incumbent"
    assert ok.json()["lost_reason_code"] == "incumbent" and ok.json()["probability"] == 0
    reopened = _json(client, "POST", url, {"stage": "consultation"})
    assert reopened.json()["lost_reason"] == "" and reopened.json()["lost_reason_code"] == ""
    assert reopened.json()["closed_on"] is None


def test_winning_needs_a_value_and_a_second_win_extends_the_contract(world, own_client):
    principal = world.principal("dist_head")
    first = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.NEGOTIATION,
                               value=Decimal("100000"), volume=Decimal("5"))
    services.opportunity_move(principal=principal, opportunity=first, stage=Stage.WON)
    contract = CorporateContract.objects.get()
    zero = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL, value=0)
    with pytest.raises(ValidationError):
        services.opportunity_move(principal=principal, opportunity=zero, stage=Stage.WON)
    second = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL,
                                value=Decimal("50000"), volume=Decimal("2"))
    services.opportunity_move(principal=principal, opportunity=second, stage=Stage.WON,
                              contract_terms={"ends_on": contract.ends_on + datetime.timedelta(days=200)})
    assert CorporateContract.objects.count() == 1
    contract.refresh_from_db()
    assert contract.value == Decimal("150000") and contract.volume_commitment == Decimal("7")
    assert contract.ends_on == TODAY() + datetime.timedelta(days=364 + 200)
    assert contract.renewal_on == contract.ends_on - datetime.timedelta(days=60)


def test_a_failed_test_blocks_winning_until_one_passes(world, own_client):
    principal = world.principal("admin")
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL)
    failed = services.product_test_create(principal=principal, opportunity=deal, title="Pilot",
                                          starts_on=TODAY(), success_criteria="Works")
    services.product_test_update(principal=principal, product_test=failed, result="failed")
    with pytest.raises(ValidationError) as exc:
        services.opportunity_move(principal=principal, opportunity=deal, stage=Stage.WON)
    assert "product_tests" in exc.value.error_dict
    signer = StakeholderFactory(client=own_client)
    retry = services.product_test_create(principal=principal, opportunity=deal, title="Pilot 2",
                                         starts_on=TODAY(), success_criteria="Works", signoff_stakeholders=[signer])
    signoff.approval_record(principal=principal, product_test=retry, stakeholder=signer)
    signoff.manufacturer_signoff(principal=principal, product_test=retry)
    services.product_test_update(principal=principal, product_test=retry, result="passed")
    assert services.opportunity_move(principal=principal, opportunity=deal, stage=Stage.WON).stage == Stage.WON


def test_create_rules(world, own_client):
    other_client = ClientFactory(distributor=world.other)
    with pytest.raises(ValidationError) as exc:
        services.opportunity_create(principal=world.principal("admin"), client=own_client, distributor=world.other,
                                    owner=world.user("admin"), title="Mismatch")
    assert "distributor" in exc.value.error_dict
    with pytest.raises(ValidationError):  # a salesperson opens deals they own
        services.opportunity_create(principal=world.principal("dist_sales"), client=own_client,
                                    distributor=world.own, owner=world.user("dist_head"), title="For my boss")
    with pytest.raises(ValidationError):  # a client the head cannot see
        services.opportunity_create(principal=world.principal("dist_head"), client=other_client,
                                    distributor=world.own, owner=world.user("dist_head"), title="Foreign")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # direct deals are for the program office
        services.opportunity_create(principal=world.principal("channel_manager"), client=own_client,
                                    distributor=None, owner=world.user("channel_manager"), title="Direct")
    # The channel app's entry point: a program manager opens a manufacturer-led project.
    project = services.opportunity_create(
        principal=world.principal("program_manager"), client=own_client, distributor=None,
        owner=world.user("program_manager"), title="Out-of-scope project", origin="out_of_scope_project",
        source_reference="conflict #7")
    assert project.is_direct and project.stage_changes.count() == 1
    assert not Opportunity.objects.visible_to(world.principal("dist_head")).filter(pk=project.pk).exists()


def test_salesperson_writes_only_own_deals(world, api_as, own_client):
    heads_deal = OpportunityFactory(client=own_client, owner=world.user("dist_head"))
    client = api_as(world.user("dist_sales"))
    assert client.get(f"/api/v1/opportunities/{heads_deal.pk}").status_code == 200
    assert _json(client, "POST", f"/api/v1/opportunities/{heads_deal.pk}/move", {"stage": "consultation"}).status_code == 403
    assert _json(client, "PATCH", f"/api/v1/opportunities/{heads_deal.pk}", {"next_step": "x"}).status_code == 403
    mine = OpportunityFactory(client=own_client, owner=world.user("dist_sales"))
    # A salesperson may not give the deal away.
    assert _json(client, "PATCH", f"/api/v1/opportunities/{mine.pk}",
                 {"owner_id": world.user("dist_head").pk}).status_code == 403
    heads_deal.refresh_from_db()
    assert heads_deal.stage == Stage.DISCUSSION and heads_deal.next_step == "Call the buyer"


def test_assigned_mentor_sees_a_deal_outside_their_reach(world, api_as):
    other_mentor = make_user(Role.MENTOR, manufacturer(), username="w-mentor-2")
    deal = OpportunityFactory(client=ClientFactory(distributor=world.other), owner=world.other_users["dist_sales"],
                              mentor=other_mentor)
    client = api_as(other_mentor)
    assert client.get(f"/api/v1/opportunities/{deal.pk}").status_code == 200
    assert [d["id"] for d in client.get("/api/v1/opportunities").json()["items"]] == [deal.pk]
    assert api_as(world.user("mentor")).get(f"/api/v1/opportunities/{deal.pk}").status_code == 404


def test_out_of_scope_clients_are_manufacturer_only(world, api_as, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"))
    own_client.out_of_scope = True
    own_client.save()
    assert api_as(world.user("dist_head")).get(f"/api/v1/opportunities/{deal.pk}").status_code == 404
    assert api_as(world.user("channel_manager")).get(f"/api/v1/opportunities/{deal.pk}").status_code == 200


def test_activity_participants_and_validation(world, api_as, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"))
    stranger = StakeholderFactory(client=ClientFactory(distributor=world.own))
    client = api_as(world.user("dist_sales"))
    url = f"/api/v1/opportunities/{deal.pk}/activities"
    base = {"kind": "meeting", "subject": "Kick-off", "occurred_on": TODAY().isoformat()}
    assert _json(client, "POST", url, {**base, "stakeholder_ids": [stranger.pk]}).status_code == 422
    assert _json(client, "POST", url, {**base, "participant_ids": [world.other_users["dist_sales"].pk]}).status_code == 422
    future = (TODAY() + datetime.timedelta(days=2)).isoformat()
    assert _json(client, "POST", url, {**base, "occurred_on": future}).status_code == 422
    assert _json(client, "POST", url, {**base, "subject": ""}).status_code == 422
    assert deal.activities.count() == 0
    ok = _json(client, "POST", url, {**base, "participant_ids": [world.user("mentor").pk, world.user("dist_sales").pk]})
    assert ok.status_code == 201 and len(ok.json()["participant_ids"]) == 2


def test_kanban_move_through_htmx_and_the_deal_form(world, login, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"))
    page = login(world.user("dist_sales"))
    url = reverse("deals:opportunity_move", args=[deal.pk])
    ok = page.post(url, {"stage": "consultation"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and f'id="card-{deal.pk}"'.encode() in ok.content
    refused = page.post(url, {"stage": "won"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and b"proposal" in refused.content
    form = page.post(url, {"stage": "lost", "lost_reason": "Budget cut"})
    assert form.status_code == 422 and b"Choose why the deal was lost" in form.content
    kanban = page.post(url, {"stage": "lost", "lost_reason_code": "other"}, HTTP_HX_REQUEST="true")
    assert kanban.status_code == 422 and kanban.content.decode() == "Say why the deal was lost."
    deal.refresh_from_db()
    assert deal.stage == Stage.CONSULTATION
    assert page.post(url, {"stage": "lost", "lost_reason_code": "budget", "lost_reason": "Budget cut"}).status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason_code, deal.lost_reason) == (Stage.LOST, "budget", "Budget cut")
    assert "No budget: Budget cut" in page.get(deal.get_absolute_url()).content.decode()


def test_kanban_table_and_api_agree(world, login, api_as, own_client):
    for stage in (Stage.DISCUSSION, Stage.DISCUSSION, Stage.PROPOSAL):
        OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=stage)
    OpportunityFactory(client=ClientFactory(distributor=world.other), owner=world.other_users["dist_sales"])
    principal = world.principal("dist_head")
    board = {c["stage"]: c["count"] for c in selectors.pipeline_board(principal=principal)}
    api = api_as(world.user("dist_head"))
    for stage in Stage.values:
        assert api.get(f"/api/v1/opportunities?stage={stage}").json()["count"] == board[stage]
    page = login(world.user("dist_head")).get(reverse("deals:opportunity_list") + "?stage=discussion")
    assert page.context["table"].page.paginator.count == board["discussion"] == 2
    kanban = login(world.user("dist_head")).get(reverse("deals:pipeline"))
    assert kanban.status_code == 200 and kanban.content.count(b'class="card kc-card') == 3


def test_attention_flags_and_filters(world, api_as, own_client):
    owner = world.user("dist_sales")
    fresh = OpportunityFactory(client=own_client, owner=owner)
    stale = OpportunityFactory(client=own_client, owner=owner, next_step="", next_step_on=None)
    overdue = OpportunityFactory(client=own_client, owner=owner, next_step_on=TODAY() - datetime.timedelta(days=5))
    client = api_as(world.user("admin"))
    assert [d["id"] for d in client.get("/api/v1/opportunities?attention=no_next_step").json()["items"]] == [stale.pk]
    items = client.get("/api/v1/opportunities?attention=overdue").json()["items"]
    assert [d["id"] for d in items] == [overdue.pk] and items[0]["attention"] == ["overdue"]
    month = fresh.expected_close_on.strftime("%Y-%m")
    assert client.get(f"/api/v1/opportunities?close_month={month}").json()["count"] == 3
    assert client.get("/api/v1/opportunities?close_month=2026-13").status_code == 422
    assert client.get(f"/api/v1/opportunities?territory_id={world.territory.pk}").json()["count"] == 3
    assert client.get(f"/api/v1/opportunities?product_line_id={world.product_line.pk}").json()["count"] == 0


def _grow(world, n):
    clients = [ClientFactory(distributor=world.own, territory=world.territory) for _ in range(3)]
    for index in range(n):
        deal = OpportunityFactory(client=clients[index % 3], owner=world.user("dist_sales"),
                                  stage=Stage.values[index % 7], lost_reason="Price" if index % 7 == 6 else "")
        deal.product_lines.add(world.product_line)


def test_list_query_counts_do_not_grow(world, api_as, login):
    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    api = api_as(world.user("admin"))
    page = login(world.user("dist_head"))
    api.get("/api/v1/me")
    probes = [
        lambda: api.get("/api/v1/opportunities?limit=100"),
        lambda: page.get(reverse("deals:opportunity_list")),
        lambda: page.get(reverse("deals:pipeline")),
        lambda: api.get("/api/v1/contracts"),
        lambda: page.get(reverse("deals:forecast") + "?by=product_line"),
    ]
    _grow(world, 5)
    small = [count(p) for p in probes]
    _grow(world, 50)
    assert [count(p) for p in probes] == small


def test_expiring_contracts_are_listed_and_notified_once_a_day(world, api_as):
    owner = world.user("dist_head")
    soon = ContractFactory(client=ClientFactory(distributor=world.own), owner=owner,
                           ends_on=TODAY() + datetime.timedelta(days=20))
    ContractFactory(client=ClientFactory(distributor=world.own), owner=owner, ends_on=TODAY() + datetime.timedelta(days=200))
    listed = api_as(owner).get("/api/v1/contracts?expiring_within=30").json()
    assert [c["id"] for c in listed["items"]] == [soon.pk] and listed["items"][0]["days_left"] == 20
    call_command("notify_expiring_contracts", "--days", "30", stdout=io.StringIO())
    call_command("notify_expiring_contracts", "--days", "30", stdout=io.StringIO())
    assert ContractNotice.objects.filter(contract=soon).count() == 1
    assert Notification.objects.filter(recipient=owner).count() == 1
    assert services.notify_expiring_contracts(days=30, today=TODAY() + datetime.timedelta(days=1)) == 1


def test_forecast_weights_by_stage_and_exports_safely(world, api_as, login, own_client):
    owner = world.user("dist_sales")
    OpportunityFactory(client=own_client, owner=owner, stage=Stage.PROPOSAL, probability=60, value=Decimal("1000"),
                       title="=HYPERLINK(\"x\")")
    OpportunityFactory(client=own_client, owner=owner, stage=Stage.DISCUSSION, probability=10, value=Decimal("500"))
    body = api_as(world.user("admin")).get("/api/v1/forecast?by=month").json()
    assert body["totals"]["weighted"] == "650.00" and body["totals"]["pipeline"] == "1500.00"
    assert api_as(world.user("admin")).get("/api/v1/forecast?by=galaxy").status_code == 422

    setting = StageSetting.objects.get(stage=Stage.PROPOSAL)
    services.stage_setting_update(principal=world.principal("program_manager"), setting=setting, probability=50)
    assert api_as(world.user("admin")).get("/api/v1/forecast").json()["totals"]["weighted"] == "550.00"

    page = login(world.user("admin"))
    response = page.get(reverse("deals:forecast_export") + "?by=distributor&format=csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[1][0].startswith("da") and rows[1][3] == "550.00"
    xlsx = page.get(reverse("deals:forecast_export") + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.getvalue())).active
    assert sheet.max_row == 2
    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe("-3") == "'-3" and spreadsheet_safe("@x") == "'@x"
    assert spreadsheet_safe("Cluj") == "Cluj" and spreadsheet_safe(5) == 5
    assert page.get(reverse("deals:forecast")).status_code == 200


def test_pages_render_with_data(world, login, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL)
    StakeholderFactory(client=own_client)
    services.product_test_create(principal=world.principal("admin"), opportunity=deal, title="Pilot",
                                 starts_on=TODAY(), success_criteria="Works")
    page = login(world.user("dist_sales"))
    detail = page.get(deal.get_absolute_url())
    assert detail.status_code == 200 and b"Pilot" in detail.content and b"stage-history" in detail.content
    assert b"coverage-score" in detail.content
    created = page.post(reverse("deals:opportunity_create"), {
        "title": "From the form", "client": own_client.pk, "stage": "discussion", "origin": "manual",
        "value": "1000", "volume": "1"})
    assert created.status_code == 302, created.context["form"].errors
    assert Opportunity.objects.get(title="From the form").owner == world.user("dist_sales")
    bad = page.post(reverse("deals:opportunity_create"), {"title": "", "client": own_client.pk, "stage": "won"})
    assert bad.status_code == 200 and bad.context["form"].errors
    logged = page.post(reverse("deals:activity_create", args=[deal.pk]), {
        "kind": "call", "subject": "Called", "occurred_on": TODAY().isoformat()})
    assert logged.status_code == 302 and deal.activities.count() == 1
    contract = ContractFactory(client=own_client)
    assert login(world.user("dist_head")).get(contract.get_absolute_url()).status_code == 200
    assert page.get(reverse("deals:contract_list") + "?expiring_within=60").status_code == 200


def test_deal_page_queries_do_not_grow_with_its_activities(world, login, own_client):
    from keychannel.deals.models import Activity

    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"))
    people = [StakeholderFactory(client=own_client) for _ in range(3)]
    page = login(world.user("dist_head"))

    def log(n):
        for index in range(n):
            activity = Activity.objects.create(opportunity=deal, subject=f"Call {index}", occurred_on=TODAY())
            activity.stakeholders.set(people)
            activity.participants.set([world.user("dist_sales")])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(deal.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    log(2)
    small = count()
    log(20)
    assert count() == small


def test_forecast_by_territory_and_product_line(world, api_as, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.NEGOTIATION,
                              probability=80, value=Decimal("2000"))
    deal.product_lines.add(world.product_line)
    api = api_as(world.user("program_manager"))
    territory = api.get("/api/v1/forecast?by=territory").json()["rows"]
    assert [(r["label"], r["weighted"]) for r in territory] == [("Cluj", "1600.00")]
    lines = api.get("/api/v1/forecast?by=product_line").json()["rows"]
    assert [(r["key"], r["pipeline"]) for r in lines] == [(str(world.product_line.pk), "2000.00")]
    assert api.get(f"/api/v1/forecast?by=month&distributor_id={world.other.pk}").json()["rows"] == []


@pytest.mark.parametrize("dimension", ["month", "distributor", "territory", "product_line"])
def test_forecast_counts_without_distinct_in_three_queries(world, own_client, dimension):
    """Grouped by the key alone with COUNT(*), labels read after: no COUNT(DISTINCT …) sorting every open deal,
    and three queries (open, won, labels) however many rows. The figures equal a count over the deals."""
    from keychannel.core.scoping import Principal

    for stage, value in ((Stage.NEGOTIATION, "2000"), (Stage.PROPOSAL, "500"), (Stage.WON, "700")):
        deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=stage, value=Decimal(value),
                                  closed_on=TODAY() if stage == Stage.WON else None, expected_close_on=TODAY())
        deal.product_lines.add(world.product_line)
    principal = Principal.for_user(world.user("program_manager"))
    with CaptureQueriesContext(connection) as queries:
        rows = forecast.forecast(principal=principal, dimension=dimension)
    assert len(queries.captured_queries) <= 3
    assert not any("DISTINCT" in q["sql"].upper() for q in queries.captured_queries)
    assert sum(r["open_count"] for r in rows) == 2 and sum(r["won_count"] for r in rows) == 1
    assert sum(r["pipeline"] for r in rows) == Decimal("2500.00") and sum(r["won"] for r in rows) == Decimal("700.00")
    assert all(r["label"] not in ("", None) for r in rows)

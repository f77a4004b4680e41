"""Product-test sign-off (issue 15, part 5; docs/rules.md, "Product-test sign-off").

The scenario on the demo: a test's sign-off was a list of names, and a salesperson marked the test passed on
their own deal, then won it. Each test below replays one step of it and fails on the old code.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from keychannel.deals import services, signoff
from keychannel.deals.choices import SignoffKind, Stage
from keychannel.deals.choices import TestResult as Result
from keychannel.deals.models import Opportunity, ProductTest, ProductTestSignoff
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _json(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def deal(world):
    """A salesperson's deal at the proposal stage with a pending pilot that names the client's technical director."""
    from keychannel.network.models import Coverage

    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1))
    client = ClientFactory(distributor=world.own, territory=world.territory)
    opportunity = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL,
                                     value=Decimal("200000"))
    opportunity.director = StakeholderFactory(client=client, full_name="Dana Director")
    opportunity.test = services.product_test_create(
        principal=world.principal("dist_sales"), opportunity=opportunity, title="Pilot", starts_on=TODAY(),
        success_criteria="8 % less energy", signoff_stakeholders=[opportunity.director])
    return opportunity


def _result(test):
    test.refresh_from_db()
    return test.result


def test_salesperson_cannot_mark_their_own_test_passed(world, deal, api_as):
    sales = api_as(world.user("dist_sales"))
    url = f"/api/v1/product-tests/{deal.test.pk}"
    refused = _json(sales, "PATCH", url, {"result": "passed"})
    assert refused.status_code == 422 and "Dana Director" in refused.content.decode()
    # The client's approval alone is not enough: the policy asks for a manufacturer sign-off.
    assert _json(sales, "POST", f"{url}/approvals", {"stakeholder_id": deal.director.pk}).status_code == 201
    refused = _json(sales, "PATCH", url, {"result": "passed"})
    assert refused.status_code == 422 and "manufacturer sign-off" in refused.content.decode()
    # ...which the salesperson (and the distributor head) cannot give.
    assert _json(sales, "POST", f"{url}/signoff", {}).status_code == 403
    assert _json(api_as(world.user("dist_head")), "POST", f"{url}/signoff", {}).status_code == 403
    with pytest.raises(PermissionDenied):
        signoff.manufacturer_signoff(principal=world.principal("dist_sales"), product_test=deal.test)
    assert _result(deal.test) == Result.PENDING
    assert not deal.test.signoffs.filter(kind=SignoffKind.MANUFACTURER).exists()


def test_stakeholder_approvals_are_required_and_only_named_ones_count(world, deal, api_as):
    cm = api_as(world.user("channel_manager"))
    url = f"/api/v1/product-tests/{deal.test.pk}"
    assert _json(cm, "POST", f"{url}/signoff", {"note": "Measurements checked"}).status_code == 201
    refused = _json(cm, "PATCH", url, {"result": "passed"})
    assert refused.status_code == 422 and "Not yet approved by the client's Dana Director" in refused.content.decode()
    # Someone of the client not named on the test, or of another client: refused, nothing recorded.
    bystander = StakeholderFactory(client=deal.client, full_name="Bob Bystander")
    stranger = StakeholderFactory(client=ClientFactory(distributor=world.own))
    for person in (bystander, stranger):
        bad = _json(cm, "POST", f"{url}/approvals", {"stakeholder_id": person.pk})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "stakeholder_id"
    assert not deal.test.signoffs.filter(kind=SignoffKind.STAKEHOLDER).exists()
    # A test naming nobody cannot pass either.
    nobody = services.product_test_create(principal=world.principal("admin"), opportunity=deal, title="Unnamed",
                                          starts_on=TODAY(), success_criteria="x")
    signoff.manufacturer_signoff(principal=world.principal("admin"), product_test=nobody)
    with pytest.raises(ValidationError, match="Name the client"):
        services.product_test_update(principal=world.principal("admin"), product_test=nobody, result="passed")

    approved = _json(cm, "POST", f"{url}/approvals", {"stakeholder_id": deal.director.pk, "note": "E-mail of 3 May"})
    assert approved.status_code == 201 and approved.json()["pass_blockers"] == []
    passed = _json(cm, "PATCH", url, {"result": "passed"})
    assert passed.status_code == 200 and passed.json()["result"] == "passed"
    # Who signed and when is kept, with history.
    rows = {r["kind"]: r for r in passed.json()["signoffs"]}
    assert rows["stakeholder"]["stakeholder_id"] == deal.director.pk
    assert rows["stakeholder"]["recorded_by_id"] == world.user("channel_manager").pk
    assert rows["manufacturer"]["signed_by_id"] == world.user("channel_manager").pk
    assert rows["stakeholder"]["note"] == "E-mail of 3 May"
    assert ProductTestSignoff.history.filter(product_test_id=deal.test.pk).count() == 2
    # Once decided, approvals are closed until the result is set back to pending.
    with pytest.raises(ValidationError, match="already recorded"):
        signoff.approval_record(principal=world.principal("admin"), product_test=deal.test, stakeholder=deal.director)


def test_changing_the_named_signers_of_a_passed_test_is_checked_again(world, deal):
    admin = world.principal("admin")
    signoff.approval_record(principal=admin, product_test=deal.test, stakeholder=deal.director)
    signoff.manufacturer_signoff(principal=admin, product_test=deal.test)
    services.product_test_update(principal=admin, product_test=deal.test, result="passed")
    newcomer = StakeholderFactory(client=deal.client, full_name="Nina Newcomer")
    with pytest.raises(ValidationError, match="Nina Newcomer"):
        services.product_test_update(principal=admin, product_test=deal.test,
                                     signoff_stakeholders=[deal.director, newcomer])
    assert list(deal.test.signoff_stakeholders.all()) == [deal.director]


def test_the_manufacturer_signoff_comes_from_someone_other_than_the_deal_owner(world, deal):
    """A direct deal owned by the program manager: the owner cannot sign its own test off."""
    direct = OpportunityFactory(client=deal.client, distributor=None, owner=world.user("program_manager"),
                                stage=Stage.PROPOSAL, value=Decimal("1"))
    test = services.product_test_create(principal=world.principal("program_manager"), opportunity=direct,
                                        title="Pilot", starts_on=TODAY(), success_criteria="x",
                                        signoff_stakeholders=[deal.director])
    with pytest.raises(ValidationError) as exc:
        signoff.manufacturer_signoff(principal=world.principal("program_manager"), product_test=test)
    assert "signed_by" in exc.value.error_dict
    signoff.approval_record(principal=world.principal("program_manager"), product_test=test, stakeholder=deal.director)
    with pytest.raises(ValidationError, match="other than the deal's owner"):
        services.product_test_update(principal=world.principal("program_manager"), product_test=test, result="passed")
    signoff.manufacturer_signoff(principal=world.principal("admin"), product_test=test)
    services.product_test_update(principal=world.principal("program_manager"), product_test=test, result="passed")
    assert _result(test) == Result.PASSED


def test_the_channel_policy_decides_whether_a_manufacturer_signoff_is_needed(world, deal, api_as):
    program = api_as(world.user("program_manager"))
    # The distributor cannot change the policy; the program office can, through the API.
    off = {"product_test_needs_manufacturer_signoff": False}
    assert _json(api_as(world.user("dist_head")), "PATCH", "/api/v1/channel-policy", off).status_code == 403
    changed = _json(program, "PATCH", "/api/v1/channel-policy", off)
    assert changed.status_code == 200 and changed.json()["product_test_needs_manufacturer_signoff"] is False
    assert _json(program, "PATCH", "/api/v1/channel-policy",
                 {"product_test_needs_manufacturer_signoff": None}).status_code == 422
    sales = world.principal("dist_sales")
    # Without the manufacturer's sign-off the client's approval is what passes the test.
    with pytest.raises(ValidationError, match="Dana Director"):
        services.product_test_update(principal=sales, product_test=deal.test, result="passed")
    signoff.approval_record(principal=sales, product_test=deal.test, stakeholder=deal.director)
    services.product_test_update(principal=sales, product_test=deal.test, result="passed")
    assert _result(deal.test) == Result.PASSED


def test_winning_is_blocked_by_a_pending_or_failed_test_on_every_path(world, deal, api_as, login):
    sales_api = api_as(world.user("dist_sales"))
    move = f"/api/v1/opportunities/{deal.pk}/move"
    pending = _json(sales_api, "POST", move, {"stage": "won"})
    assert pending.status_code == 422 and "pending" in pending.content.decode()
    # The salesperson cannot override (a manufacturer role's call), through the API nor the service.
    refused = _json(sales_api, "POST", move, {"stage": "won", "test_override_reason": "Client is keen"})
    assert refused.status_code == 422 and "test_override_reason" in refused.content.decode()
    # The kanban drag and the deal page's form.
    page = login(world.user("dist_sales"))
    url = reverse("deals:opportunity_move", args=[deal.pk])
    kanban = page.post(url, {"stage": "won"}, HTTP_HX_REQUEST="true")
    assert kanban.status_code == 422 and b"pending" in kanban.content
    form = page.post(url, {"stage": "won", "test_override_reason": "ignored for a salesperson"})
    assert form.status_code == 422 and b"pending" in form.content
    # A failed test blocks it too.
    services.product_test_update(principal=world.principal("dist_sales"), product_test=deal.test, result="failed")
    failed = _json(sales_api, "POST", move, {"stage": "won"})
    assert failed.status_code == 422 and "No product test passed" in failed.content.decode()
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL and deal.contract_id is None and deal.test_override_at is None


def test_a_manufacturer_override_with_a_reason_wins_and_is_recorded(world, deal, api_as, login):
    services.product_test_update(principal=world.principal("dist_sales"), product_test=deal.test, result="failed")
    cm_api = api_as(world.user("channel_manager"))
    move = f"/api/v1/opportunities/{deal.pk}/move"
    # An override does not lift the other rules: a deal with no value is not won.
    Opportunity.objects.filter(pk=deal.pk).update(value=0)
    no_value = _json(cm_api, "POST", move, {"stage": "won", "test_override_reason": "Reference plant results"})
    assert no_value.status_code == 422 and "value" in no_value.content.decode()
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("200000"))
    deal.refresh_from_db()
    assert deal.test_override_at is None
    # The deal page's form offers the override to a manufacturer role, and it works there.
    page = login(world.user("channel_manager"))
    shown = page.get(deal.get_absolute_url())
    assert b'name="test_override_reason"' in shown.content
    won = page.post(reverse("deals:opportunity_move", args=[deal.pk]),
                    {"stage": "won", "test_override_reason": "Board accepted on the reference plant's results"})
    assert won.status_code == 302, won.content.decode()[:2000]
    deal.refresh_from_db()
    assert deal.stage == Stage.WON and deal.contract_id is not None
    assert deal.test_override_reason == "Board accepted on the reference plant's results"
    assert deal.test_override_by == world.user("channel_manager") and deal.test_override_at is not None
    body = _json(cm_api, "GET", f"/api/v1/opportunities/{deal.pk}").json()
    assert body["test_override_reason"] == deal.test_override_reason
    assert body["test_override_by_id"] == world.user("channel_manager").pk
    assert b'id="test-override"' in page.get(deal.get_absolute_url()).content
    assert deal.history.filter(test_override_reason=deal.test_override_reason).exists()


def test_api_override_by_a_manufacturer(world, deal, api_as):
    mentor = api_as(world.user("mentor"))
    won = _json(mentor, "POST", f"/api/v1/opportunities/{deal.pk}/move",
                {"stage": "won", "test_override_reason": "Pilot cut short by the client; results already clear"})
    assert won.status_code == 200, won.content
    assert won.json()["stage"] == "won" and won.json()["test_override_by_id"] == world.user("mentor").pk


def test_the_deal_page_records_approvals_and_the_manufacturer_signoff(world, deal, login):
    sales = login(world.user("dist_sales"))
    detail = sales.get(deal.get_absolute_url())
    assert f'id="approve-form-{deal.test.pk}"'.encode() in detail.content
    assert f'id="signoff-form-{deal.test.pk}"'.encode() not in detail.content  # the owner's side
    assert f'id="pass-blockers-{deal.test.pk}"'.encode() in detail.content
    approve = reverse("deals:producttest_approve", args=[deal.test.pk])
    bad = sales.post(approve, {f"t{deal.test.pk}-stakeholder": "999999"})
    assert bad.status_code == 422 and b'id="signoff-error"' in bad.content
    assert sales.post(approve, {f"t{deal.test.pk}-stakeholder": deal.director.pk}).status_code == 302
    assert sales.post(reverse("deals:producttest_signoff", args=[deal.test.pk]), {}).status_code == 403

    manager = login(world.user("channel_manager"))
    assert f'id="signoff-form-{deal.test.pk}"'.encode() in manager.get(deal.get_absolute_url()).content
    too_long = manager.post(reverse("deals:producttest_signoff", args=[deal.test.pk]), {"note": "x" * 600})
    assert too_long.status_code == 422 and not deal.test.signoffs.filter(kind=SignoffKind.MANUFACTURER).exists()
    assert manager.post(reverse("deals:producttest_signoff", args=[deal.test.pk]), {"note": "OK"}).status_code == 302
    page = manager.get(deal.get_absolute_url()).content.decode()
    assert "Dana Director (client) approved" in page and "Manufacturer sign-off by" in page
    # The test's edit form now passes it.
    edit = reverse("deals:producttest_update", args=[deal.test.pk])
    data = {"title": "Pilot", "starts_on": TODAY().isoformat(), "success_criteria": "8 % less energy",
            "signoff_stakeholders": [deal.director.pk], "result": "passed", "result_notes": "", "decided_on": TODAY().isoformat()}
    assert sales.post(edit, data).status_code == 302
    assert _result(deal.test) == Result.PASSED


def test_the_edit_form_refuses_passed_without_signoffs(world, deal, login):
    sales = login(world.user("dist_sales"))
    edit = reverse("deals:producttest_update", args=[deal.test.pk])
    data = {"title": "Pilot", "starts_on": TODAY().isoformat(), "success_criteria": "8 % less energy",
            "signoff_stakeholders": [deal.director.pk], "result": "passed", "result_notes": "", "decided_on": TODAY().isoformat()}
    refused = sales.post(edit, data)
    assert refused.status_code == 200 and b"cannot be passed yet" in refused.content
    assert _result(deal.test) == Result.PENDING


def test_the_admin_refuses_passed_without_signoffs_and_keeps_signoffs_read_only(world, deal, login):
    from django.contrib.admin.sites import site

    from keychannel.deals.admin import ProductTestAdminForm

    data = {"opportunity": deal.pk, "title": "Pilot", "starts_on": TODAY().isoformat(), "success_criteria": "x",
            "signoff_stakeholders": [deal.director.pk], "result": "passed", "decided_on": TODAY().isoformat(),
            "plan": "", "samples": "", "result_notes": ""}
    form = ProductTestAdminForm(data, instance=ProductTest.objects.get(pk=deal.test.pk))
    assert not form.is_valid() and "Dana Director" in str(form.errors)
    signoff.approval_record(principal=world.principal("admin"), product_test=deal.test, stakeholder=deal.director)
    signoff.manufacturer_signoff(principal=world.principal("admin"), product_test=deal.test)
    form = ProductTestAdminForm(data, instance=ProductTest.objects.get(pk=deal.test.pk))
    assert form.is_valid(), form.errors
    request = type("R", (), {"user": world.user("admin")})()
    signoff_admin = site._registry[ProductTestSignoff]
    assert not signoff_admin.has_add_permission(request)
    assert not signoff_admin.has_change_permission(request) and not signoff_admin.has_delete_permission(request)
    # The deal's stage is read only in the admin: no way to win it there.
    assert "stage" in site._registry[Opportunity].readonly_fields


def test_legacy_signoff_lists_are_kept_as_a_note(world, deal):
    """Migration 0007: a test passed on a deal not yet won goes back to pending with its names kept."""
    import importlib

    from django.apps import apps

    legacy = importlib.import_module("keychannel.deals.migrations.0007_legacy_signoff_note")
    ProductTest.objects.filter(pk=deal.test.pk).update(result="passed", decided_on=TODAY())
    closed = ProductTest.objects.create(opportunity=deal, title="Old pilot", starts_on=TODAY(), success_criteria="x",
                                        result="passed", decided_on=TODAY())
    from keychannel.deals.tests.factories import ContractFactory

    # The contract link is what closes a test's record.
    ProductTest.objects.filter(pk=closed.pk).update(contract=ContractFactory(client=deal.client))
    legacy.forwards(apps, None)
    deal.test.refresh_from_db()
    closed.refresh_from_db()
    assert deal.test.result == Result.PENDING and deal.test.decided_on is None
    assert "Dana Director" in deal.test.legacy_signoff_note and "Set back to pending" in deal.test.legacy_signoff_note
    assert closed.result == Result.PASSED and "nobody named" in closed.legacy_signoff_note

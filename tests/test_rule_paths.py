"""Paths that reached a rule without a test of their own (found by the rule catalogue, tests/rules_catalogue.py).

Each test names the route it proves (its URL name or API path), which the catalogue checks.
"""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from keychannel.channel import services as channel_services
from keychannel.channel.tests.test_gate import iasi  # noqa: F401 - fixture
from keychannel.channel.tests.test_leads import new_lead, routed  # noqa: F401 - fixture
from keychannel.channel.tests.test_out_of_scope import _decide, scene  # noqa: F401 - fixture
from keychannel.competence.models import KamTaskComment
from keychannel.competence.tests.factories import KamTaskFactory
from keychannel.core.choices import SecurityEventKind
from keychannel.core.models import SecurityEvent
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

REFUSED = "Only the manufacturer gives work to its people"


def _json(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _events(username, action_prefix=""):
    return SecurityEvent.objects.filter(kind=SecurityEventKind.FORBIDDEN_WRITE, username=username,
                                        action__startswith=action_prefix)


# ---- assignment -------------------------------------------------------------------------------------------------

def test_new_deal_form_refuses_a_manufacturer_owner(world, login):
    client = ClientFactory(distributor=world.own, created_by=world.users["dist_head"])
    page = login(world.users["dist_head"])
    url = reverse("deals:opportunity_create")
    data = {"client": client.pk, "stage": Stage.DISCUSSION, "origin": "manual", "title": "Compressors", "value": "1000", "volume": "1",
            "product_lines": [world.product_line.pk], "owner": world.users["executive"].pk, "mentor": "", "kam": "",
            "expected_close_on": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
            "next_step": "", "next_step_on": "", "source_reference": ""}
    refused = page.post(url, data)
    assert refused.status_code == 422
    assert REFUSED in refused.content.decode()
    assert not Opportunity.objects.filter(client=client).exists()
    assert _events("w-da-head", "assign:deals.opportunity.owner").count() == 1
    # Its own people are fine.
    assert page.post(url, {**data, "owner": world.users["dist_sales"].pk}).status_code == 302
    assert Opportunity.objects.get(client=client).owner == world.users["dist_sales"]


def test_contact_form_refuses_a_manufacturer_person(world, login):
    from keychannel.clients.models import StakeholderContact
    from keychannel.deals.tests.factories import StakeholderFactory

    client = ClientFactory(distributor=world.own, created_by=world.users["dist_head"])
    stakeholder = StakeholderFactory(client=client)
    page = login(world.users["dist_head"])
    url = reverse("clients:contact_add", args=[stakeholder.pk])
    levels = {"current_level": "acquainted", "desired_level": "trusted"}
    # The form offers the manufacturer's people (they may know the stakeholder), so the rule refuses.
    response = page.post(url, {"user": world.users["embedded_kam"].pk, **levels}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not StakeholderContact.objects.filter(stakeholder=stakeholder).exists()
    assert _events("w-da-head", "assign:clients.stakeholdercontact.user").count() == 1
    assert any(REFUSED in str(m) for m in get_messages(response.wsgi_request))
    # Its own people are fine.
    page.post(url, {"user": world.users["dist_sales"].pk, **levels}, HTTP_HX_REQUEST="true")
    assert list(StakeholderContact.objects.values_list("user", flat=True)) == [world.users["dist_sales"].pk]


def test_readiness_action_form_refuses_a_manufacturer_owner(world, login):
    from keychannel.network.defaults import ensure_defaults
    from keychannel.network.models import ActionItem, ReadinessAssessment, ReadinessQuestionnaire

    ensure_defaults()
    assessment = ReadinessAssessment.objects.create(
        distributor=world.own, questionnaire=ReadinessQuestionnaire.objects.get(version=1),
        assessed_on=datetime.date(2026, 1, 15), score=50)
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    page = login(world.users["dist_head"])
    url = reverse("network:action_item_create", args=[assessment.pk])
    form = page.post(url, {"title": "Train", "owner": world.users["embedded_kam"].pk, "due_on": due,
                           "status": "open"})
    assert form.status_code == 422
    assert not ActionItem.objects.exists()
    assert _events("w-da-head", "assign:network.actionitem.owner").count() == 1
    assert page.post(url, {"title": "Train", "owner": world.users["dist_sales"].pk, "due_on": due,
                           "status": "open"}).status_code == 302


# ---- registration gate and checks: paths that open deals in the first stage ---------------------------------------

def test_accepting_a_lead_opens_an_ungated_first_stage_deal(routed, api_as, login):  # noqa: F811
    """``POST /api/v1/leads/{id}/accept`` and the lead page (``channel:lead_respond``) run the registration's checks
    (the registration is approved at once) and open the deal at discussion, where the gate asks nothing."""
    by_api = new_lead(routed, tax_id="RO 7070707")
    response = _json(api_as(routed.user("dist_sales")), "POST", f"/api/v1/leads/{by_api.pk}/accept", {})
    assert response.status_code == 200, response.content
    by_page = new_lead(routed, name="Orion Metal SRL", tax_id="RO 8080808")
    page = login(routed.user("dist_sales"))
    assert page.post(reverse("channel:lead_respond", args=[by_page.pk]), {"action": "accept"}).status_code == 302
    for lead in (by_api, by_page):
        lead.refresh_from_db()
        deal = lead.registration.opportunity
        assert lead.registration.status == "approved" and lead.registration.protected_until
        assert deal.stage == Stage.DISCUSSION and deal.distributor_id == routed.own.pk


def test_approving_on_the_page_opens_an_ungated_first_stage_deal(world, login):
    from keychannel.channel.tests.factories import cover

    cover(world.own, world.territory, world.product_line)
    registration = channel_services.registration_submit(
        principal=world.principal("dist_sales"), distributor=world.own, legal_name="Nova Pumps SRL", tax_id="RO 9090909",
        territory=world.territory, product_lines=[world.product_line], estimated_value=Decimal("40000"),
        expected_close_on=datetime.date.today() + datetime.timedelta(days=60), title="Pumps")
    page = login(world.user("program_manager"))
    response = page.post(reverse("channel:registration_decide", args=[registration.pk]), {"action": "approve"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "approved"
    assert registration.opportunity.stage == Stage.DISCUSSION


def test_changing_the_lines_on_the_edit_form_is_checked_again(iasi):  # noqa: F811
    """The deal edit form (``deals:opportunity_update``) runs the gate when the lines change past the first stage."""
    from django.test import Client

    from keychannel.channel.tests.test_gate import _create
    from keychannel.deals.tests.factories import ClientFactory as MakeClient

    client = MakeClient(distributor=iasi.own, territory=iasi.territory, created_by=iasi.user("dist_head"))
    deal = _create(iasi, client=client, lines=[iasi.product_line], value=Decimal("100000"))
    browser = Client()
    browser.force_login(iasi.user("dist_sales"))
    data = {"title": deal.title, "value": str(deal.value), "volume": str(deal.volume),
            "product_lines": [iasi.product_line.pk, iasi.pumps.pk], "owner": deal.owner_id, "mentor": "", "kam": "",
            "expected_close_on": "", "next_step": "", "next_step_on": "",
            "source_reference": ""}
    response = browser.post(reverse("deals:opportunity_update", args=[deal.pk]), data)
    # The form comes back with the refusal and the "Register this deal" link (as the new deal form does).
    assert response.status_code == 200 and response.context["registration_url"].startswith("/channel/registrations/new/?")
    assert list(deal.product_lines.all()) == [iasi.product_line]


# ---- winning ---------------------------------------------------------------------------------------------------

def test_winning_without_a_value_is_refused_on_the_kanban_and_the_form(world, login):
    client = ClientFactory(distributor=world.own, created_by=world.users["dist_head"])
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL, value=0)
    page = login(world.user("dist_head"))
    url = reverse("deals:opportunity_move", args=[deal.pk])
    assert page.post(url, {"stage": Stage.WON}, HTTP_HX_REQUEST="true").status_code == 422  # the kanban
    assert page.post(url, {"stage": Stage.WON}).status_code == 422  # the deal page's form
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL and deal.contract_id is None


def test_winning_without_a_value_is_refused_over_the_api(world, api_as):
    client = ClientFactory(distributor=world.own, created_by=world.users["dist_head"])
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL, value=0)
    response = _json(api_as(world.user("dist_head")), "POST", f"/api/v1/opportunities/{deal.pk}/move",
                     {"stage": Stage.WON})
    assert response.status_code == 422
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL


# ---- KAM tasks ---------------------------------------------------------------------------------------------------

def test_a_distributor_head_cannot_comment_as_the_manufacturer(world, login):
    task = KamTaskFactory(distributor=world.own, kam=world.users["embedded_kam"], created_by=world.users["admin"])
    page = login(world.users["dist_head"])
    assert page.post(reverse("competence:kamtask_comment", args=[task.pk]), {"body": "Do this"}).status_code == 403
    assert not KamTaskComment.objects.exists()
    assert _events("w-da-head").count() == 1


def test_a_distributor_cannot_convert_a_consultation_into_a_kam_task(world, login, api_as):
    head = world.users["dist_head"]
    assert _json(api_as(head), "POST", "/api/v1/consultations/1/convert",
                 {"kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": "Mine"}).status_code == 403
    assert login(head).post(reverse("competence:consultation_convert", args=[1]), {}).status_code == 403
    assert _events(head.username, "competence.consultation.convert").count() == 2


# ---- out of scope: the daily command ---------------------------------------------------------------------------

def test_the_daily_command_hands_deals_over_after_the_grace_period(scene):  # noqa: F811
    """``manage.py expire_registrations`` hands the deals still open over once the grace period has ended."""
    conflict = _decide(scene, grace_days=10)
    first, second = scene.cache["deals"]
    call_command("expire_registrations", stdout=io.StringIO())
    first.refresh_from_db()
    assert first.distributor_id == scene.own.pk  # still within the grace period
    # The grace period ends (as if the days had passed): the next daily run hands both over.
    Opportunity.objects.filter(pk__in=[first.pk, second.pk]).update(
        kept_until=datetime.date.today() - datetime.timedelta(days=1))
    call_command("expire_registrations", stdout=io.StringIO())
    for deal in (first, second):
        deal.refresh_from_db()
        assert deal.distributor_id is None and deal.handed_over_to_id == conflict.project_opportunity.pk


# ---- sales imports: every upload path ----------------------------------------------------------------------------

ROW = ("02.10.2026", "49668380", "Univers", "SNS-12", "1", "10")


def _upload(name, data):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_a_repeated_line_is_refused_on_every_upload_path(world, api_as, login, tmp_path):
    """``POST /api/v1/sales-reports``, the upload page (``sales:report_upload``) and ``manage.py import_sales``."""
    from django.core.management.base import CommandError

    from keychannel.sales.models import SalesLine, SalesReport
    from keychannel.sales.tests.factories import csv_file, map_samples

    map_samples(world.own)
    data = csv_file([ROW, ROW])
    response = api_as(world.user("dist_head")).post("/api/v1/sales-reports", {"file": _upload("twice.csv", data)})
    assert response.status_code == 422
    assert [d["ctx"]["reason"] if "ctx" in d else d.get("type") for d in response.json()["detail"]] and \
        "repeated_line" in response.content.decode()
    page = login(world.user("dist_head"))
    assert page.post(reverse("sales:report_upload"), {"distributor": world.own.pk, "file": _upload("twice2.csv", data)},
                     HTTP_HX_REQUEST="true").status_code == 204
    path = tmp_path / "twice.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("import_sales", str(path), "--distributor", "da", "--as", "w-admin", stdout=io.StringIO())
    assert not SalesLine.objects.exists()
    assert set(SalesReport.objects.values_list("status", flat=True)) == {"rejected"}


def test_revalidating_a_report_applies_it_whole_once_fixed(world, api_as, login):
    """``POST /api/v1/sales-reports/{id}/revalidate`` and the report page's ``sales:report_revalidate``: a report
    rejected for a product code nobody mapped is applied whole (every line, once) after the mapping is added."""
    from keychannel.sales import services as sales_services
    from keychannel.sales.models import ProductMapping, SalesLine
    from keychannel.sales.tests.factories import csv_file, map_samples

    map_samples(world.own)
    reports = [sales_services.report_import(
        principal=world.principal("dist_head"), distributor=world.own, file_name=f"new-code-{n}.csv",
        data=csv_file([ROW, (f"0{3 + n}.10.2026", "49668380", "Univers", "NEW-1", "2", "20")]))
        for n in range(2)]
    assert [r.status for r in reports] == ["rejected", "rejected"] and not SalesLine.objects.exists()
    line = ProductMapping.objects.filter(distributor=world.own).first().product_line
    sales_services.product_mapping_set(principal=world.principal("dist_head"), distributor=world.own,
                                       product_code="NEW-1", product_line=line)
    applied = _json(api_as(world.user("dist_head")), "POST", f"/api/v1/sales-reports/{reports[0].pk}/revalidate", {})
    assert applied.status_code in (200, 201), applied.content
    assert SalesLine.objects.filter(report=reports[0]).count() == 2
    page = login(world.user("dist_head"))
    assert page.post(reverse("sales:report_revalidate", args=[reports[1].pk])).status_code == 302
    reports[1].refresh_from_db()
    assert reports[1].status in ("applied", "conflict")  # same month: applied, or waiting for a supersede decision
    assert SalesLine.objects.filter(report=reports[1]).count() in (0, 2)


def test_an_oversized_upload_is_refused_on_every_upload_path(world, api_as, login, tmp_path, settings):
    """The upload cap on ``POST /api/v1/sales-reports``, ``sales:report_upload`` and ``manage.py import_sales``."""
    from django.core.management.base import CommandError

    from keychannel.sales.models import SalesReport
    from keychannel.sales.tests.factories import csv_file, map_samples

    map_samples(world.own)
    settings.KEYCHANNEL_MAX_UPLOAD_MB = 1
    data = csv_file([ROW]) + b" " * (1024 * 1024)
    response = api_as(world.user("dist_head")).post("/api/v1/sales-reports", {"file": _upload("big.csv", data)})
    assert response.status_code in (413, 422) and "1 MB" in response.content.decode()
    page = login(world.user("dist_head"))
    refused = page.post(reverse("sales:report_upload"), {"distributor": world.own.pk, "file": _upload("big.csv", data)})
    assert refused.status_code in (413, 422) and "1 MB" in refused.content.decode()
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match="1 MB"):
        call_command("import_sales", str(path), "--distributor", "da", "--as", "w-admin", stdout=io.StringIO())
    assert not SalesReport.objects.exists()


# ---- watched duplicates: the sales report's "create client" ---------------------------------------------------------

def test_creating_a_client_from_a_sales_report_is_watched_too(world, login):
    """``sales:report_resolve_client`` creates the unmatched client through ``client_create``; confirmed past a
    match another distributor serves, it opens the possible-duplicate case for the channel manager."""
    from keychannel.channel.choices import ConflictKind
    from keychannel.channel.models import Conflict
    from keychannel.channel.tests.factories import make_client
    from keychannel.sales import services as sales_services
    from keychannel.sales.tests.factories import SAMPLES, map_samples, sample

    make_client(distributor=world.other, territory=world.territory, legal_name="Metal Forja Resita SA")
    map_samples(world.own, skip_tax_ids={"301014698"})
    report = sales_services.report_import(principal=world.principal("dist_head"), distributor=world.own,
                                          data=sample("cp1250"), file_name=SAMPLES["cp1250"])
    assert {u["tax_id"] for u in report.unmatched_clients} == {"301014698"}
    key = report.unmatched_clients[0]["key"]
    page = login(world.user("dist_head"))
    url = reverse("sales:report_resolve_client", args=[report.pk])
    body = {"key": key, "action": "create", "legal_name": "Metal Forja Resita SRL"}
    assert page.post(url, body).status_code == 302
    assert not Conflict.objects.exists()  # the duplicate warning stops it first
    assert page.post(url, {**body, "force": "1"}).status_code == 302
    conflict = Conflict.objects.get(kind=ConflictKind.POSSIBLE_DUPLICATE)
    assert conflict.client.legal_name == "Metal Forja Resita SRL" and conflict.client.distributor_id == world.own.pk


# ---- deletion: the small records of a client and a distributor ----------------------------------------------------

def test_contacts_links_plan_items_and_mappings_delete_when_unreferenced(world, api_as, login):
    """Each delete path of these records goes through ``delete_unreferenced``: nothing else refers to them here, so
    each is deleted (the refusal of a referenced record is the same code, proved on clients and stakeholders)."""
    from keychannel.clients.models import AccountObjective, AccountPlan, StakeholderContact, StakeholderLink
    from keychannel.deals.tests.factories import StakeholderFactory
    from keychannel.sales.models import ProductMapping

    client = ClientFactory(distributor=world.own, created_by=world.users["dist_head"])
    first, second = StakeholderFactory(client=client), StakeholderFactory(client=client)
    sales = world.users["dist_sales"]

    def contact():
        return StakeholderContact.objects.create(stakeholder=first, user=sales, current_level="acquainted",
                                                 desired_level="trusted")

    def link():
        return StakeholderLink.objects.create(source=first, target=second, kind="influences")

    def mapping(code):
        return ProductMapping.objects.create(distributor=world.own, product_code=code, product_line=world.product_line)

    api = api_as(world.users["dist_head"])
    page = login(world.users["dist_head"])
    made = contact()
    assert api.delete(f"/api/v1/stakeholders/{first.pk}/contacts/{sales.pk}").status_code == 204
    assert not StakeholderContact.objects.filter(pk=made.pk).exists()
    made = contact()
    page.post(reverse("clients:contact_delete", args=[made.pk]), HTTP_HX_REQUEST="true")
    assert not StakeholderContact.objects.filter(pk=made.pk).exists()
    made = link()
    assert api.delete(f"/api/v1/stakeholder-links/{made.pk}").status_code == 204
    assert not StakeholderLink.objects.filter(pk=made.pk).exists()
    made = link()
    page.post(reverse("clients:link_delete", args=[made.pk]), HTTP_HX_REQUEST="true")
    assert not StakeholderLink.objects.filter(pk=made.pk).exists()
    plan = AccountPlan.objects.create(client=client)
    objective = AccountObjective.objects.create(plan=plan, title="Win pumps")
    assert page.post(reverse("clients:account_plan_item_delete",
                             args=[client.pk, "objective", objective.pk])).status_code == 302
    assert not AccountObjective.objects.filter(pk=objective.pk).exists()
    made = mapping("X-1")
    assert api.delete(f"/api/v1/product-mappings/{made.pk}").status_code == 204
    assert not ProductMapping.objects.filter(pk=made.pk).exists()
    made = mapping("X-2")
    assert page.post(reverse("sales:product_mapping_delete", args=[made.pk])).status_code == 302
    assert not ProductMapping.objects.filter(pk=made.pk).exists()

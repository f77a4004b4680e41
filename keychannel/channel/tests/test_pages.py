import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel.models import DealRegistration
from keychannel.channel.tests.factories import cover, make_client, make_conflict, make_registration
from keychannel.core.tests.factories import OrganizationFactory
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db



def _grow(world, n):
    for _ in range(n):
        other = DistributorFactory(organization=OrganizationFactory(), territory=world.territory)
        client = make_client(distributor=world.own, territory=world.territory)
        mine = make_registration(distributor=world.own, client=client, user=world.user("dist_sales"),
                                 product_lines=[world.product_line])
        theirs = make_registration(distributor=other, client=client, user=world.user("dist_sales"), holds_claim=False)
        make_conflict(registration=theirs, other=world.own, other_registration=mine)
        from keychannel.channel.models import Lead, LeadOffer

        lead = Lead.objects.create(company_name=f"Lead {client.pk}", territory=world.territory, status="offered")
        lead.product_lines.set([world.product_line])
        LeadOffer.objects.create(lead=lead, distributor=world.own, respond_by=today())


LISTS = [
    ("api", "/api/v1/registrations"), ("api", "/api/v1/conflicts"), ("api", "/api/v1/conflicts/precedents"),
    ("api", "/api/v1/leads"), ("page", "channel:registration_list"), ("page", "channel:conflict_list"),
    ("page", "channel:precedent_list"), ("page", "channel:lead_list"), ("page", "channel:figures"),
]


@pytest.mark.parametrize("role", ["program_manager", "dist_head"])
def test_list_query_counts_do_not_grow_with_rows(world, api_as, login, role):
    user = world.user(role)
    api, page = api_as(user), login(user)
    api.get("/api/v1/me")

    def counts():
        out = []
        for kind, target in LISTS:
            if kind == "page" and target == "channel:figures" and role == "dist_head":
                continue
            with CaptureQueriesContext(connection) as ctx:
                response = api.get(target) if kind == "api" else page.get(reverse(target))
                assert response.status_code == 200, target
            out.append(len(ctx.captured_queries))
        return out

    _grow(world, 2)
    small = counts()
    _grow(world, 12)
    assert counts() == small


def test_register_page_end_to_end_with_form_errors_and_reasons(world, login):
    cover(world.own, world.territory, world.product_line)
    page = login(world.user("dist_sales"))
    url = reverse("channel:registration_create")
    assert page.get(url).status_code == 200
    bad = page.post(url, {"distributor": world.own.pk, "title": "", "product_lines": [], "estimated_value": "-5",
                          "expected_close_on": ""})
    assert bad.status_code == 422 and not DealRegistration.objects.exists()
    assert "legal name" in bad.content.decode()
    data = {"distributor": world.own.pk, "legal_name": "Delta Agro Holding SRL", "tax_id": "RO 8080808",
            "territory": world.territory.pk, "title": "Irrigation pumps", "product_lines": [world.product_line.pk],
            "estimated_value": "120000", "expected_close_on": (today() + datetime.timedelta(days=20)).isoformat()}
    ok = page.post(url, data)
    registration = DealRegistration.objects.get()
    assert ok.status_code == 302 and ok["Location"] == registration.get_absolute_url()
    detail = page.get(registration.get_absolute_url()).content.decode()
    assert "Every check passed" in detail and 'id="decide"' not in detail
    # the channel manager decides on the page
    manager = login(world.user("channel_manager"))
    assert 'id="decide"' in manager.get(registration.get_absolute_url()).content.decode()
    reject = manager.post(reverse("channel:registration_decide", args=[registration.pk]), {"action": "reject", "reason": ""})
    assert reject.status_code == 422
    approve = manager.post(reverse("channel:registration_decide", args=[registration.pk]), {"action": "approve"})
    assert approve.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "approved"


def test_conflict_resolve_page_out_of_scope(world, login):
    client = make_client(distributor=world.own, territory=world.territory)
    mine = make_registration(distributor=world.own, client=client, user=world.user("dist_sales"), product_lines=[world.product_line])
    theirs = make_registration(distributor=world.other, client=client, user=world.other_users["dist_sales"], holds_claim=False)
    conflict = make_conflict(registration=theirs, other=world.own, other_registration=mine)
    page = login(world.user("program_manager"))
    assert 'id="resolve"' in page.get(conflict.get_absolute_url()).content.decode()
    url = reverse("channel:conflict_resolve", args=[conflict.pk])
    bad = page.post(url, {"resolution": "out_of_scope", "note": "Strategic."})
    assert bad.status_code == 422
    ok = page.post(url, {"resolution": "out_of_scope", "note": "Strategic.", "out_of_scope_reason": "strategic_account",
                         "notice_days": 30, "in_flight": "compensation", "compensation": "15000"})
    assert ok.status_code == 302
    conflict.refresh_from_db()
    assert conflict.resolution == "out_of_scope" and conflict.compensation == 15000
    assert conflict.project_opportunity is not None
    assert b"Taken out of scope" in page.get(conflict.get_absolute_url()).content
    again = page.post(url, {"resolution": "rejected", "note": "x"})
    assert again.status_code == 409


def test_figures_page_passes_chart_data(world, login):
    client = make_client(distributor=world.own, territory=world.territory)
    make_conflict(registration=make_registration(distributor=world.own, client=client, user=world.user("dist_sales")))
    body = login(world.user("program_manager")).get(reverse("channel:figures")).content.decode()
    assert 'id="channel-figures"' in body and "echarts.min.js" in body and world.territory.name in body

"""Support money (issue 15, part 1): claims within what was approved on every path, and the return on support."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from keychannel.channel.tests.factories import make_client, make_registration
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.program import services, support_money
from keychannel.program.choices import SupportStatus
from keychannel.program.models import SupportBudget, SupportRequest
from keychannel.sales.models import SalesLine, SalesReport

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


def _proof():
    return SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")


def _approved(world, approved=15_000, budget=60_000, **fields):
    """The demo's scenario: a request approved for 15,000 RON out of a 60,000 RON budget."""
    head, pm = world.principal("dist_head"), world.principal("program_manager")
    SupportBudget.objects.get_or_create(distributor=world.own, year=timezone.localdate().year,
                                        defaults={"amount": Decimal(budget)})
    request = services.support_request_create(principal=head, distributor=world.own, kind="financial", title="Fair",
                                              description="Stand", amount_requested=Decimal(approved), **fields)
    return services.support_decide(principal=pm, request=request, approve=True)


def _unchanged(request, history):
    request.refresh_from_db()
    assert request.status == SupportStatus.APPROVED and request.amount_claimed == 0 and not request.proof
    assert request.history.count() == history


# --- claims never exceed what was approved -----------------------------------------------------------------------


def test_a_claim_above_the_approved_amount_is_refused_by_the_service(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = _approved(world)
    history = request.history.count()
    with pytest.raises(ValidationError, match="above the 15000.00 RON left of the 15000.00 RON approved"):
        support_money.support_claim(principal=world.principal("dist_head"), request=request, amount=Decimal(16_000),
                               proof=_proof())
    _unchanged(request, history)
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_claim_above_the_approved_amount_is_refused_on_the_page(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = _approved(world)
    history = request.history.count()
    response = login(world.user("dist_head")).post(reverse("program:support_claim", args=[request.pk]),
                                                   {"amount_claimed": "16000", "proof": _proof()}, follow=True)
    assert "above the 15000.00 RON left of the 15000.00 RON approved" in response.content.decode()
    _unchanged(request, history)


def test_a_claim_above_the_approved_amount_is_refused_by_the_api(world, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = _approved(world)
    history = request.history.count()
    client = api_as(world.user("dist_head"))
    response = client.post(f"/api/v1/support-requests/{request.pk}/claims",
                           {"amount_claimed": "16000", "proof": _proof()})
    assert response.status_code == 422, response.content
    assert "15000.00 RON approved" in str(response.json())
    _unchanged(request, history)
    # Within the approved amount the same call is accepted.
    ok = client.post(f"/api/v1/support-requests/{request.pk}/claims", {"amount_claimed": "15000", "proof": _proof()})
    assert ok.status_code == 200 and ok.json()["status"] == "claimed" and Decimal(ok.json()["amount_claimable"]) == 0


def test_partial_claims_add_up_to_at_most_the_approved_amount(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = _approved(world)
    head = world.principal("dist_head")
    budget = request.budget
    support_money.support_claim(principal=head, request=request, amount=Decimal(6_000), proof=_proof())
    request.refresh_from_db()
    assert request.status == SupportStatus.APPROVED and request.amount_claimed == 6_000
    assert support_money.claimable(request) == 9_000
    assert budget.remaining() == 45_000  # the whole approval stays reserved while claims are open
    with pytest.raises(ValidationError, match="above the 9000.00 RON left"):
        support_money.support_claim(principal=head, request=request, amount=Decimal(10_000), proof=_proof())
    request.refresh_from_db()
    assert request.amount_claimed == 6_000
    support_money.support_claim(principal=head, request=request, amount=Decimal(9_000), proof=_proof())
    request.refresh_from_db()
    assert request.status == SupportStatus.CLAIMED and request.amount_claimed == 15_000
    from keychannel.core.errors import ConflictError

    with pytest.raises(ConflictError):
        support_money.support_claim(principal=head, request=request, amount=Decimal(1), proof=_proof())


def test_a_last_claim_releases_the_rest_to_the_budget(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = _approved(world)
    support_money.support_claim(principal=world.principal("dist_head"), request=request, amount=Decimal(10_000),
                           proof=_proof(), final=True)
    request.refresh_from_db()
    assert request.status == SupportStatus.CLAIMED and request.budget.remaining() == 50_000


def test_no_path_can_store_more_claimed_than_approved(world, login):
    """Admin save and any command or shell write meet the database constraint; the admin shows it as a form error."""
    request = _approved(world)
    SupportRequest.objects.filter(pk=request.pk).update(amount_claimed=Decimal(10_000))
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportRequest.objects.filter(pk=request.pk).update(amount_claimed=Decimal(16_000))
    request.refresh_from_db()
    request.amount_approved = Decimal(9_000)
    with pytest.raises(ValidationError, match="the amount approved cannot be lower"):
        request.full_clean()
    # The admin change form: lowering the approval below what is claimed is refused and changes nothing.
    request.refresh_from_db()
    web = login(world.user("admin"))
    url = reverse("admin:program_supportrequest_change", args=[request.pk])
    data = {
        "distributor": request.distributor_id, "budget": request.budget_id, "kind": request.kind,
        "title": request.title, "description": request.description, "status": request.status,
        "amount_requested": "15000", "amount_approved": "9000", "requested_by": request.requested_by_id,
        "decided_by": request.decided_by_id, "decided_at_0": "", "decided_at_1": "", "decision_note": "",
        "paid_at_0": "", "paid_at_1": "", "client": "", "return_months": "12",
    }
    response = web.post(url, data)
    assert response.status_code == 200 and "the amount approved cannot be lower" in response.content.decode()
    request.refresh_from_db()
    assert request.amount_approved == 15_000 and request.amount_claimed == 10_000


# --- return on support -------------------------------------------------------------------------------------------


def _won(world, client, value, days_ago, distributor=None):
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.WON, value=Decimal(value),
                              **({"distributor": distributor} if distributor else {}))
    Opportunity.objects.filter(pk=deal.pk).update(closed_on=timezone.localdate() - timedelta(days=days_ago))
    return deal


def _funded(world, days_ago=40, months=1, **fields):
    request = _approved(world, **fields)
    SupportRequest.objects.filter(pk=request.pk).update(decided_at=timezone.now() - timedelta(days=days_ago),
                                                        return_months=months)
    request.refresh_from_db()
    return request


def test_return_links_the_business_that_followed_the_support(world, login, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = make_client(distributor=world.own, territory=world.territory)
    request = _funded(world)  # approved 40 days ago, window of one month: up to about 10 days ago
    _won(world, client, 70_000, days_ago=20)  # in the window
    _won(world, client, 500_000, days_ago=5)  # after the window
    _won(world, client, 900_000, days_ago=50)  # before the approval
    OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL, value=Decimal(30_000))
    registration = make_registration(distributor=world.own, client=client, user=world.user("dist_sales"))
    type(registration).objects.filter(pk=registration.pk).update(
        status="approved", decided_at=timezone.now() - timedelta(days=30),
        protected_until=timezone.localdate() + timedelta(days=60))
    report = SalesReport.objects.create(distributor=world.own, period=timezone.localdate().replace(day=1),
                                        file_name="s.csv", file_hash="1" * 64, status="applied",
                                        uploaded_by=world.user("dist_head"), applied_at=timezone.now())
    SalesLine.objects.create(report=report, distributor=world.own, client=client, product_line=world.product_line,
                             date=timezone.localdate() - timedelta(days=25), quantity=1, amount=Decimal(12_000))
    support_money.support_claim(principal=world.principal("dist_head"), request=request, amount=Decimal(14_000),
                           proof=_proof(), final=True)
    request.refresh_from_db()

    result = support_money.support_return(principal=world.principal("dist_head"), request=request)
    assert result.spend == 14_000 and result.won_value == 70_000 and result.won_deals == 1
    assert result.ratio == Decimal("5.00")
    assert result.registrations == 1 and result.sell_out == 12_000
    # The open deal was opened today, after the window: not attributed.
    assert result.pipeline_deals == 0

    api = api_as(world.user("dist_head")).get(f"/api/v1/support-requests/{request.pk}").json()
    assert api["return_on_support"]["spend"] == "14000.00"
    assert api["return_on_support"]["attributed_won_value"] == "70000.00"
    assert api["return_on_support"]["ratio"] == "5.00"
    other = api_as(world.other_users["dist_head"]).get(f"/api/v1/support-requests/{request.pk}")
    assert other.status_code == 404

    web = login(world.user("dist_head"))
    page = web.get(reverse("program:support_detail", args=[request.pk])).content.decode()
    assert 'id="support-won"' in page and "70,000.00 RON" in page and "14,000.00 RON" in page
    overview = web.get(reverse("program:distributor_overview", args=[world.own.pk])).content.decode()
    assert 'id="support-returns"' in overview and "70,000.00" in overview


def test_a_named_client_narrows_the_return_to_that_client(world):
    named = make_client(distributor=world.own, territory=world.territory)
    other = make_client(distributor=world.own, territory=world.territory)
    request = _funded(world, client=named)
    _won(world, named, 40_000, days_ago=20)
    _won(world, other, 60_000, days_ago=20)
    result = support_money.support_return(principal=world.principal("program_manager"), request=request)
    assert result.won_value == 40_000 and result.spend == 15_000  # approved, nothing claimed yet: still reserved
    unnamed = _funded(world)
    unnamed.title = "Unnamed"
    assert support_money.support_return(principal=world.principal("program_manager"),
                                        request=unnamed).won_value == 100_000


def test_no_return_before_approval(world):
    head = world.principal("dist_head")
    SupportBudget.objects.create(distributor=world.own, year=timezone.localdate().year, amount=Decimal(5000))
    request = services.support_request_create(principal=head, distributor=world.own, kind="financial", title="A",
                                              description="a", amount_requested=Decimal(100))
    assert support_money.support_return(principal=head, request=request) is None

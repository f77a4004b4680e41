"""Simultaneous claims on one support request, through the API, with real threads and one connection each.

``support_claim`` locks the request row (``select_for_update``; SQLite: IMMEDIATE transactions) before reading
what is already claimed, so the claims are serialised: together they never exceed the approved amount, every
refusal is a 422 that changed nothing, and there is never a server error.
"""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from keychannel.core.choices import Role
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory
from keychannel.program.models import SupportBudget, SupportRequest
from tests.races.concurrency import fire_at_once, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]

RACERS = 6
PDF = b"%PDF-1.4\n%race\n"


def _approved(approved):
    distributor = DistributorFactory(organization=OrganizationFactory(), code="crace")
    heads = [make_user(Role.DIST_HEAD, distributor.organization, username=f"crace-head-{i}") for i in range(RACERS)]
    budget = SupportBudget.objects.create(distributor=distributor, year=timezone.localdate().year, amount=Decimal(60_000))
    request = SupportRequest.objects.create(
        distributor=distributor, budget=budget, kind="financial", title="Fair", description="Stand",
        amount_requested=approved, amount_approved=approved, status="approved", requested_by=heads[0],
        decided_at=timezone.now())
    return [token_for(h) for h in heads], request


def _claim(url, amount):
    def send(client):
        proof = SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")
        return client.post(url, {"amount_claimed": str(amount), "proof": proof})

    return send


def test_simultaneous_claims_resolve_to_at_most_the_approved_amount(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tokens, request = _approved(Decimal(15_000))
    url = f"/api/v1/support-requests/{request.pk}/claims"
    # Six claims of 6,000 RON on 15,000 approved: two fit, the others would overdraw.
    results = fire_at_once([(token, _claim(url, 6_000)) for token in tokens])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200] + [422] * (RACERS - 2), results
    request.refresh_from_db()
    assert request.amount_claimed == Decimal(12_000) and request.status == "approved"
    assert all("left of the 15000.00 RON approved" in str(body) for status, body in results if status == 422)


def test_simultaneous_claims_of_the_whole_amount_let_exactly_one_through(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tokens, request = _approved(Decimal(15_000))
    url = f"/api/v1/support-requests/{request.pk}/claims"
    results = fire_at_once([(token, _claim(url, 15_000)) for token in tokens])
    statuses = sorted(status for status, _ in results)
    # The first claim closes the request: the others are told it is no longer approved (409) or above what is left.
    assert statuses.count(200) == 1 and all(s in (409, 422) for s in statuses if s != 200), results
    request.refresh_from_db()
    assert request.amount_claimed == Decimal(15_000) and request.status == "claimed"
    assert request.history.filter(amount_claimed__gt=0).count() == 1

"""The sync API under concurrency, with real threads and one database connection each (docs/api.md, "Sync").

- Several copies of one POST with one Idempotency-Key at the same moment (an ERP's retries overlapping the first
  try): the client is created once, and every answer is that creation's answer.
- Several upserts of one new external id at the same moment: one client, one deal, never two.
"""

import json

import pytest

from keychannel.clients.models import CorporateClient
from keychannel.core.choices import Role
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.deals.models import Opportunity
from keychannel.network.tests.factories import DistributorFactory
from tests.races.concurrency import fire_at_once, fire_json, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]

RACERS = 5


def _seller():
    distributor = DistributorFactory(organization=OrganizationFactory(), code="srace")
    user = make_user(Role.DIST_SALES, distributor.organization, username="srace-sales")
    return distributor, user


def test_one_idempotency_key_sent_at_once_creates_once_and_answers_the_same():
    distributor, user = _seller()
    token = token_for(user)
    body = json.dumps({"legal_name": "Idempotent Racing SA", "tax_id": "RO 27182818"})

    def send(client):
        return client.post("/api/v1/clients", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="erp-42")

    results = fire_at_once([(token, send)] * RACERS)
    assert CorporateClient.objects.filter(distributor=distributor).count() == 1
    created = CorporateClient.objects.get(distributor=distributor)
    # One ran; each other one waited for it and got its answer (or, still running, a 409 to ask again).
    assert [status for status, _ in results].count(201) >= 1, results
    assert all(status in (201, 409) for status, _ in results), results
    assert all(body["id"] == created.pk for status, body in results if status == 201)


def test_upserts_of_one_new_external_id_at_once_make_one_client_and_one_deal():
    distributor, user = _seller()
    tokens = [token_for(user) for _ in range(RACERS)]
    results = fire_json([("PUT", "/api/v1/clients/by-external-id/RACE-1", token, {"legal_name": "Upsert Racing SRL"})
                         for token in tokens])
    assert sorted(status for status, _ in results) == [200] * (RACERS - 1) + [201], results
    client = CorporateClient.objects.get(distributor=distributor, external_id="RACE-1")
    results = fire_json([("PUT", "/api/v1/opportunities/by-external-id/RACE-D", token,
                          {"title": "Racing deal", "client_id": client.pk}) for token in tokens])
    assert sorted(status for status, _ in results) == [200] * (RACERS - 1) + [201], results
    assert Opportunity.objects.filter(external_id="RACE-D").count() == 1

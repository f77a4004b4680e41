"""Simultaneous creates of one client in one distributor's book, with real threads and one connection each.

The duplicate check and the insert are two statements: without a lock every racer's check ran before any
insert, so a name look-alike (no tax id, no constraint) was created once per racer, and racers sending the
same tax id got a 500 from the unique constraint. The create now locks the distributor row first (PostgreSQL;
on SQLite the IMMEDIATE transactions queue): one 201, the rest 409 from the duplicate check.
"""

import pytest

from keychannel.clients.models import CorporateClient
from keychannel.core.choices import Role
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory
from tests.races.concurrency import fire_json, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]

RACERS = 6


def _racers():
    distributor = DistributorFactory(organization=OrganizationFactory(), code="crace")
    users = [make_user(Role.DIST_SALES, distributor.organization, username=f"crace-{i}") for i in range(RACERS)]
    return distributor, [token_for(user) for user in users]


@pytest.mark.parametrize("body", [
    {"legal_name": "Racing Look-alike Industries SA"},
    {"legal_name": "Racing Fiscal Industries SA", "tax_id": "RO 31415926"},
], ids=["same-name", "same-tax-id"])
def test_one_client_is_created_once_and_the_others_are_told_it_exists(body):
    distributor, tokens = _racers()
    results = fire_json([("POST", "/api/v1/clients", token, body) for token in tokens])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (RACERS - 1), results
    assert CorporateClient.objects.filter(distributor=distributor).count() == 1

"""Simultaneous registrations and decisions, with real threads and one database connection each.

On PostgreSQL the client row lock and the partial unique constraint decide; on SQLite the IMMEDIATE
transactions queue behind the busy timeout. Either way: exactly one first registration, conflicts for the
rest, one winning decision, and never a server error.
"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from keychannel.channel.choices import ConflictKind, ConflictStatus, RegistrationStatus
from keychannel.channel.models import Conflict, DealRegistration
from keychannel.channel.tests.factories import cover, make_client, make_registration
from keychannel.clients.models import CorporateClient
from keychannel.core.choices import Role
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory
from tests.races.concurrency import fire_json, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]


RACERS = 20


def _network(n):
    world_line = None
    from keychannel.network.tests.factories import ProductLineFactory, TerritoryFactory

    territory = TerritoryFactory(name="Race county", code="race-county")
    world_line = ProductLineFactory(name="Race line", code="race-line")
    racers = []
    for i in range(n):
        distributor = DistributorFactory(organization=OrganizationFactory(), territory=territory, code=f"race{i:02d}")
        distributor.product_lines.add(world_line)
        cover(distributor, territory, world_line)
        user = make_user(Role.DIST_SALES, distributor.organization, username=f"race-sales-{i}")
        racers.append((distributor, user, token_for(user)))
    return territory, world_line, racers


def test_simultaneous_registrations_of_one_client_give_one_first_and_conflicts_for_the_rest():
    territory, line, racers = _network(RACERS)
    close = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    body = {
        "legal_name": "Racing Target Industries SA", "tax_id": "RO 31415926", "territory_id": territory.pk,
        "title": "Plant retrofit", "product_line_ids": [line.pk], "estimated_value": "150000", "expected_close_on": close,
    }
    results = fire_json([("POST", "/api/v1/registrations", token, body) for _d, _u, token in racers])
    statuses = [status for status, _ in results]
    assert statuses == [201] * RACERS, results
    assert CorporateClient.objects.filter(tax_id="31415926").count() == 1
    registrations = list(DealRegistration.objects.all())
    assert len(registrations) == RACERS
    first = [r for r in registrations if r.holds_claim]
    assert len(first) == 1
    losers = [r for r in registrations if not r.holds_claim]
    assert all(ConflictKind.DOUBLE_REGISTRATION in {c["kind"] for c in r.checks} for r in losers)
    assert Conflict.objects.filter(kind=ConflictKind.DOUBLE_REGISTRATION).count() == RACERS - 1
    # Every racer now asks the program manager to approve: only the first can be protected.
    pm = make_user(Role.PROGRAM_MANAGER, OrganizationFactory(kind="manufacturer"), username="race-pm")
    token = token_for(pm)
    results = fire_json([("POST", f"/api/v1/registrations/{r.pk}/approve", token, {}) for r in registrations])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (RACERS - 1), results
    assert DealRegistration.objects.filter(status=RegistrationStatus.APPROVED).count() == 1
    assert DealRegistration.objects.get(status=RegistrationStatus.APPROVED).holds_claim


def test_two_simultaneous_decisions_on_one_conflict_one_wins_the_other_gets_409():
    territory, line, racers = _network(2)
    (own, own_user, _), (other, other_user, _) = racers
    client = make_client(distributor=own, territory=territory)
    first = make_registration(distributor=own, client=client, user=own_user, product_lines=[line])
    second = make_registration(distributor=other, client=client, user=other_user, holds_claim=False, product_lines=[line])
    from keychannel.channel.tests.factories import make_conflict

    conflict = make_conflict(registration=second, other=own, other_registration=first)
    maker = OrganizationFactory(kind="manufacturer")
    deciders = [make_user(Role.PROGRAM_MANAGER, maker, username=f"race-decider-{i}") for i in range(2)]
    url = f"/api/v1/conflicts/{conflict.pk}/resolve"
    results = fire_json([
        ("POST", url, token_for(deciders[0]), {"resolution": "awarded", "awarded_to_id": own.pk, "note": "first came first"}),
        ("POST", url, token_for(deciders[1]), {"resolution": "awarded", "awarded_to_id": other.pk, "note": "other way"}),
    ])
    assert sorted(s for s, _ in results) == [200, 409], results
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.history.filter(status=ConflictStatus.RESOLVED).count() == 1
    winner = conflict.awarded_to_id
    losing_registration = second if winner == own.pk else first
    losing_registration.refresh_from_db()
    assert losing_registration.status == RegistrationStatus.REJECTED
    assert connection.vendor in {"sqlite", "postgresql"}

"""Simultaneous registrations and decisions, with real threads and one database connection each.

On PostgreSQL the client row lock and the partial unique constraint decide; on SQLite the IMMEDIATE
transactions queue behind the busy timeout. Either way: exactly one first registration, conflicts for the
rest, one winning decision, and never a server error.
"""

import datetime
import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from keychannel.channel.choices import ConflictKind, ConflictStatus, RegistrationStatus
from keychannel.channel.models import Conflict, DealRegistration
from keychannel.channel.tests.factories import cover, make_client, make_registration
from keychannel.clients.models import CorporateClient
from keychannel.core import services as core_services
from keychannel.core.choices import Role
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]


@pytest.fixture
def shared_database(tmp_path):
    """Give the threads a database they can really share.

    PostgreSQL: nothing to do. SQLite: the test database is an in-memory, shared-cache one, whose table locks fail
    at once ("database table is locked") instead of waiting. A deployment runs on a file with WAL and a busy
    timeout, so the test moves to a copy in a file for its duration: every thread opens its own connection to it
    with the project's settings (IMMEDIATE transactions, 20 s busy timeout).
    """
    from django.db import connections

    memory = connections["default"]
    if memory.vendor != "sqlite" or not memory.is_in_memory_db():
        yield
        return
    import sqlite3

    path = str(tmp_path / "race.sqlite3")
    memory.ensure_connection()
    target = sqlite3.connect(path)
    memory.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]
    original_name = settings_dict["NAME"]
    settings_dict["NAME"] = path
    file_backed = memory.__class__(settings_dict, "default")
    connections["default"] = file_backed
    try:
        yield
    finally:
        file_backed.close()
        settings_dict["NAME"] = original_name
        connections["default"] = memory

RACERS = 20


def _token(user):
    _t, raw = core_services.api_token_create(principal=Principal.for_user(user), name="race")
    return raw


def _fire(requests):
    """Run every (method, url, token, body) at the same moment; returns [(status, json)] in order."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(i, method, url, token, body):
        from django.db import connections

        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait(timeout=30)
            response = client.generic(method, url, json.dumps(body), content_type="application/json")
            results[i] = (response.status_code, response.json() if response.content else None)
        except Exception as exc:  # noqa: BLE001 - a crash in a thread is a failed request
            results[i] = (599, repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


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
        racers.append((distributor, user, _token(user)))
    return territory, world_line, racers


def test_simultaneous_registrations_of_one_client_give_one_first_and_conflicts_for_the_rest():
    territory, line, racers = _network(RACERS)
    close = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    body = {
        "legal_name": "Racing Target Industries SA", "tax_id": "RO 31415926", "territory_id": territory.pk,
        "title": "Plant retrofit", "product_line_ids": [line.pk], "estimated_value": "150000", "expected_close_on": close,
    }
    results = _fire([("POST", "/api/v1/registrations", token, body) for _d, _u, token in racers])
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
    token = _token(pm)
    results = _fire([("POST", f"/api/v1/registrations/{r.pk}/approve", token, {}) for r in registrations])
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
    results = _fire([
        ("POST", url, _token(deciders[0]), {"resolution": "awarded", "awarded_to_id": own.pk, "note": "first came first"}),
        ("POST", url, _token(deciders[1]), {"resolution": "awarded", "awarded_to_id": other.pk, "note": "other way"}),
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

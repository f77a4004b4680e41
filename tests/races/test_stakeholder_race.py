"""Simultaneous edits of one buying-centre person, with real threads and one database connection each.

The stakeholder row lock (PostgreSQL) or the IMMEDIATE transactions (SQLite) serialise the edits; the version
the editors send decides: from one starting version exactly one edit is saved, the others get 409 and change
nothing. Without a version every edit is saved, one after the other, none lost, and never a server error.
"""

import pytest

from keychannel.clients.models import Stakeholder
from keychannel.clients.tests.factories import ClientFactory, StakeholderFactory
from keychannel.core.choices import Role
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory
from tests.races.concurrency import fire_json, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]

RACERS = 8
TITLES = [f"Title from editor {i}" for i in range(RACERS)]


def _book():
    """A distributor, one salesperson per racer (each with a token), and one person in a client's buying centre."""
    distributor = DistributorFactory(organization=OrganizationFactory(), code="srace")
    users = [make_user(Role.DIST_SALES, distributor.organization, username=f"srace-sales-{i}") for i in range(RACERS)]
    person = StakeholderFactory(client=ClientFactory(distributor=distributor), job_title="Original", attitude=0)
    return [token_for(u) for u in users], Stakeholder.objects.get(pk=person.pk)


def test_simultaneous_edits_from_one_version_one_saves_the_rest_get_409():
    tokens, person = _book()
    url = f"/api/v1/stakeholders/{person.pk}"
    history = Stakeholder.history.filter(id=person.pk).count()
    results = fire_json([("PATCH", url, token, {"job_title": TITLES[i], "version": person.version})
                     for i, token in enumerate(tokens)])
    statuses = [status for status, _ in results]
    assert sorted(statuses) == [200] + [409] * (RACERS - 1), results
    winner = statuses.index(200)
    assert results[winner][1]["job_title"] == TITLES[winner]
    assert results[winner][1]["version"] == person.version + 1
    row = Stakeholder.objects.get(pk=person.pk)
    assert row.version == person.version + 1
    assert row.job_title == TITLES[winner]
    assert Stakeholder.history.filter(id=person.pk).count() == history + 1
    assert all(body["detail"] for status, body in results if status == 409)


def test_simultaneous_edits_without_version_are_all_saved_one_after_the_other():
    tokens, person = _book()
    url = f"/api/v1/stakeholders/{person.pk}"
    # Each editor changes a different field: serialised edits on the locked row lose none of them.
    edits = [{"job_title": "Plant director"}, {"attitude": 2}, {"influence": 5}, {"phone": "+40 744 000 001"},
             {"email": "person@example.com"}, {"personal_interests": "Cycling"}, {"company_interests": "Uptime"},
             {"external_organization": "Consultants SRL"}]
    assert len(edits) == RACERS
    results = fire_json([("PATCH", url, token, edits[i]) for i, token in enumerate(tokens)])
    assert [status for status, _ in results] == [200] * RACERS, results
    row = Stakeholder.objects.get(pk=person.pk)
    assert row.version == person.version + RACERS
    for edit in edits:
        for name, value in edit.items():
            assert getattr(row, name) == value, (name, getattr(row, name))
    # Every answer showed a different version: the edits really went one after the other.
    assert sorted(body["version"] for _s, body in results) == list(range(person.version + 1,
                                                                          person.version + RACERS + 1))

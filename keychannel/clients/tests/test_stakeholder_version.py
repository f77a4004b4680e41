"""Optimistic concurrency on buying-centre edits: an edit made on an old version is refused and changes nothing."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from keychannel.clients import services
from keychannel.clients.models import Stakeholder
from keychannel.clients.tests.factories import ClientFactory, StakeholderFactory
from keychannel.core.errors import ConflictError

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
STALE = "Someone else changed this person meanwhile; reload and try again."


def _person(world, **kw):
    return StakeholderFactory(client=ClientFactory(distributor=world.own), **kw)


def _snapshot(stakeholder):
    row = Stakeholder.objects.get(pk=stakeholder.pk)
    return {f.attname: getattr(row, f.attname) for f in Stakeholder._meta.concrete_fields}


def test_each_edit_adds_one_to_the_version(world):
    person = _person(world, attitude=0)
    start = Stakeholder.objects.get(pk=person.pk).version
    principal = world.principal("dist_sales")
    services.stakeholder_update(principal=principal, stakeholder=person, expected_version=start, attitude=1)
    services.stakeholder_update(principal=principal, stakeholder=person, attitude=2)  # no check asked
    row = Stakeholder.objects.get(pk=person.pk)
    assert (row.version, row.attitude) == (start + 2, 2)
    assert person.version == row.version  # the caller's object shows what was stored


def test_a_stale_version_is_refused_and_changes_nothing(world):
    person = _person(world, attitude=0, influence=3)
    start = Stakeholder.objects.get(pk=person.pk).version
    principal = world.principal("dist_sales")
    # Someone else saves first, from the same starting version.
    services.stakeholder_update(principal=principal, stakeholder=Stakeholder.objects.get(pk=person.pk),
                                expected_version=start, influence=5)
    before = _snapshot(person)
    history = Stakeholder.history.filter(id=person.pk).count()
    with pytest.raises(ConflictError) as refused:
        services.stakeholder_update(principal=principal, stakeholder=person, expected_version=start,
                                    attitude=-2, job_title="Plant director")
    assert str(refused.value.message) == gettext(STALE)
    assert _snapshot(person) == before
    assert before["influence"] == 5 and before["version"] == start + 1
    assert Stakeholder.history.filter(id=person.pk).count() == history


def test_an_edit_without_version_keeps_the_other_fields_of_a_concurrent_edit(world):
    """Without a version the last writer wins, but only for the fields it sends (the row is re-read locked)."""
    person = _person(world, attitude=0, influence=3)
    stale_copy = Stakeholder.objects.get(pk=person.pk)
    principal = world.principal("dist_sales")
    services.stakeholder_update(principal=principal, stakeholder=person, influence=5)
    services.stakeholder_update(principal=principal, stakeholder=stale_copy, attitude=1)
    row = Stakeholder.objects.get(pk=person.pk)
    assert (row.influence, row.attitude) == (5, 1)


def test_api_returns_the_version_and_answers_409_to_a_stale_one(world, api_as):
    person = _person(world, attitude=0)
    api = api_as(world.user("dist_sales"))
    url = f"/api/v1/stakeholders/{person.pk}"
    version = api.get(url).json()["version"]
    assert version == Stakeholder.objects.get(pk=person.pk).version
    first = api.patch(url, {"attitude": 1, "version": version}, content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json()["version"] == version + 1 and first.json()["attitude"] == 1
    before = _snapshot(person)
    stale = api.patch(url, {"attitude": -2, "version": version}, content_type="application/json")
    assert stale.status_code == 409, stale.content
    assert stale.json()["detail"] == gettext(STALE)
    assert _snapshot(person) == before
    # Without a version the edit goes through (old clients keep working).
    plain = api.patch(url, {"attitude": 2}, content_type="application/json")
    assert plain.status_code == 200 and plain.json()["version"] == version + 2
    assert api.patch(url, {"version": 0}, content_type="application/json").status_code == 422


def test_edit_form_carries_the_version_and_a_stale_submit_shows_the_error(world, login):
    person = _person(world, full_name="Maria Boss", level="executive", attitude=0)
    page = login(world.user("dist_sales"))
    url = reverse("clients:stakeholder_edit", args=[person.pk])
    version = Stakeholder.objects.get(pk=person.pk).version
    edit = page.get(url, **HX)
    assert b'type="hidden" name="s%d-version" value="%d"' % (person.pk, version) in edit.content
    p = f"s{person.pk}-"
    body = {f"{p}full_name": "Maria Boss", f"{p}level": "executive", f"{p}influence": "3", f"{p}version": version}
    ok = page.post(url, {**body, f"{p}attitude": "1"}, **HX)
    assert ok.status_code == 200 and ok["HX-Retarget"] == "#buying-centre"
    before = _snapshot(person)
    assert (before["attitude"], before["version"]) == (1, version + 1)
    stale = page.post(url, {**body, f"{p}attitude": "-2", f"{p}full_name": "Maria Overwritten"}, **HX)
    assert stale.status_code == 200 and "HX-Retarget" not in stale
    assert gettext(STALE).encode() in stale.content.replace(b"&#x27;", b"'")
    assert _snapshot(person) == before
    # A page without HTMX gets the message too, and nothing changes either.
    plain = page.post(url, {**body, f"{p}attitude": "-2"}, follow=True)
    assert gettext(STALE) in " ".join(str(m) for m in plain.context["messages"])
    assert _snapshot(person) == before


def test_a_logged_contact_makes_an_open_form_stale(world):
    import datetime

    person = _person(world)
    opened = Stakeholder.objects.get(pk=person.pk).version  # an editor opens the form
    met = datetime.date(2026, 11, 30)
    assert services.stakeholders_record_contact(stakeholder_ids=[person.pk], on_date=met) == 1
    with pytest.raises(ConflictError):
        services.stakeholder_update(principal=world.principal("dist_sales"), stakeholder=person,
                                    expected_version=opened, last_contact_on=datetime.date(2026, 1, 5))
    assert Stakeholder.objects.get(pk=person.pk).last_contact_on == met

"""Issue 23, finding 2: a distributor's delete never takes the manufacturer's records with it; archive instead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from keychannel.clients import services
from keychannel.clients.models import CorporateClient, Stakeholder
from keychannel.clients.tests.factories import ClientFactory, StakeholderFactory
from keychannel.competence.choices import KamDuty
from keychannel.competence.models import CoachingSession, KamTask, Mentorship
from keychannel.core.deletion import ReferencedError
from keychannel.core.models import SecurityEvent
from keychannel.sales.models import Survey, SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db


def _client(world, name="Referenced Logistic SRL"):
    return ClientFactory(legal_name=name, distributor=world.own)


def _kam_task(world, client):
    return KamTask.objects.create(distributor=world.own, kam=world.user("embedded_kam"), duty=KamDuty.SELL_TO_LARGE_CLIENTS,
                                  title="Open the plant 2 account", client=client)


def _mentorship(world, client):
    mentorship = Mentorship.objects.create(mentor=world.user("mentor"), distributor=world.own, client=client)
    CoachingSession.objects.create(mentorship=mentorship, participants="Head, mentor", topic="Account plan")
    return mentorship


def _survey_answer(world, client):
    survey = Survey.objects.create(name="NPS", closes_on=timezone.localdate() + timedelta(days=30))
    invitation = SurveyInvitation.objects.create(survey=survey, client=client, contact_name="C", token_hash="t-1",
                                                 expires_at=timezone.now() + timedelta(days=30))
    return SurveyResponse.objects.create(invitation=invitation, survey=survey, client=client, why_chose="quality",
                                         will_continue="yes", recommend=9)


@pytest.mark.parametrize("make", [_kam_task, _mentorship, _survey_answer], ids=["kam_task", "mentorship", "survey"])
def test_head_delete_of_a_referenced_client_is_refused_and_recorded(world, api_as, make):
    """The finding's three cases: before, DELETE answered 204 and nulled or deleted the manufacturer's record."""
    client = _client(world)
    StakeholderFactory(client=client)
    record = make(world, client)
    before = {m: m.objects.count() for m in (KamTask, Mentorship, CoachingSession, SurveyResponse, SurveyInvitation)}

    response = api_as(world.user("dist_head")).delete(f"/api/v1/clients/{client.pk}")

    assert response.status_code == 409, response.content
    assert "archive it instead" in response.json()["detail"].lower()
    assert CorporateClient.objects.filter(pk=client.pk).exists()
    assert Stakeholder.objects.filter(client=client).count() == 1  # nothing of the client's own went either
    record.refresh_from_db()
    assert record.client_id == client.pk
    assert {m: m.objects.count() for m in before} == before
    event = SecurityEvent.objects.get(action="clients.corporateclient.delete")
    assert event.user == world.user("dist_head") and f"corporateclient {client.pk}" in event.detail


def test_admin_may_not_delete_a_referenced_client_either_but_may_an_unreferenced_one(world, api_as):
    api = api_as(world.user("admin"))
    referenced = _client(world)
    _kam_task(world, referenced)
    assert api.delete(f"/api/v1/clients/{referenced.pk}").status_code == 409
    # A conflict for the program office, not an incident.
    assert not SecurityEvent.objects.filter(action="clients.corporateclient.delete").exists()

    free = _client(world, "Unreferenced Trading SRL")
    StakeholderFactory(client=free)
    assert api.delete(f"/api/v1/clients/{free.pk}").status_code == 204
    assert not CorporateClient.objects.filter(pk=free.pk).exists()
    assert not Stakeholder.objects.filter(client_id=free.pk).exists()  # its own parts go with it


def test_the_orm_protects_the_manufacturers_records_too(world):
    """Admin site, shell, a future service: the foreign keys themselves refuse (PROTECT), no silent cascade."""
    from django.db.models import ProtectedError

    client = _client(world)
    _mentorship(world, client)
    with pytest.raises(ProtectedError):
        client.delete()


def test_a_reference_added_by_another_app_blocks_without_code_here(world):
    """The check walks every reverse foreign key: a KAM task (competence) is found although clients never names it."""
    client = _client(world)
    _kam_task(world, client)
    with pytest.raises(ReferencedError) as refused:
        services.client_delete(principal=world.principal("dist_head"), client=client)
    assert [r.model for r in refused.value.references] == [KamTask]


def test_archive_end_to_end_api(world, api_as):
    client = _client(world)
    task = _kam_task(world, client)
    head = api_as(world.user("dist_head"))

    assert api_as(world.user("dist_sales")).post(f"/api/v1/clients/{client.pk}/archive").status_code == 403
    response = head.post(f"/api/v1/clients/{client.pk}/archive")
    assert response.status_code == 200 and response.json()["archived_at"]

    listed = [c["id"] for c in head.get("/api/v1/clients").json()["items"]]
    assert client.pk not in listed
    assert [c["id"] for c in head.get("/api/v1/clients?archived=true").json()["items"]] == [client.pk]
    assert head.get(f"/api/v1/clients/{client.pk}").status_code == 200
    # The manufacturer's record keeps its client; the history says who archived it.
    task.refresh_from_db()
    assert task.client_id == client.pk
    latest = CorporateClient.history.filter(id=client.pk).latest("history_date")
    assert latest.history_user == world.user("dist_head") and latest.archived_at is not None

    response = head.post(f"/api/v1/clients/{client.pk}/restore")
    assert response.status_code == 200 and response.json()["archived_at"] is None
    assert client.pk in [c["id"] for c in head.get("/api/v1/clients").json()["items"]]


def test_archive_end_to_end_pages(world, login):
    client = _client(world)
    _survey_answer(world, client)
    browser = login(world.user("dist_head"))

    refused = browser.post(f"/clients/{client.pk}/delete/")
    assert refused.status_code == 200
    assert b'id="delete-refused"' in refused.content and b'id="confirm-archive"' in refused.content
    assert CorporateClient.objects.filter(pk=client.pk).exists()

    assert browser.post(f"/clients/{client.pk}/archive/").status_code == 302
    assert client.legal_name.encode() not in browser.get("/clients/").content
    assert client.legal_name.encode() in browser.get("/clients/?archived=1").content
    detail = browser.get(f"/clients/{client.pk}/")
    assert b'id="client-archived"' in detail.content and b'id="client-restore"' in detail.content

    assert browser.post(f"/clients/{client.pk}/restore/").status_code == 302
    assert client.legal_name.encode() in browser.get("/clients/").content


def test_a_stakeholder_named_in_an_activity_is_not_deleted(world, api_as, login):
    from keychannel.deals.models import Activity
    from keychannel.deals.tests.factories import OpportunityFactory

    client = _client(world)
    person = StakeholderFactory(client=client)
    opportunity = OpportunityFactory(client=client, distributor=world.own, owner=world.user("dist_sales"))
    activity = Activity.objects.create(opportunity=opportunity, kind="meeting", subject="Kick-off",
                                       occurred_on=timezone.localdate())
    activity.stakeholders.add(person)

    response = api_as(world.user("dist_head")).delete(f"/api/v1/stakeholders/{person.pk}")
    assert response.status_code == 409
    assert login(world.user("dist_head")).post(f"/clients/stakeholders/{person.pk}/delete/").status_code == 302
    assert list(activity.stakeholders.all()) == [person]

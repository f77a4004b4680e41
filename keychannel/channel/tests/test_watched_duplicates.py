"""A client confirmed "not a duplicate" past a match served elsewhere is still watched (docs/rules.md,
"Watched duplicates"): the channel manager gets a possible-duplicate case; the creator learns nothing more."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from keychannel.channel.choices import ConflictKind, PartyRole
from keychannel.channel.models import Conflict
from keychannel.channel.tests.factories import cover, make_client
from keychannel.clients.models import CorporateClient
from keychannel.core.models import Notification
from keychannel.deals import services as deals
from keychannel.deals.choices import Stage
from keychannel.deals.gate import DealGateRefused

pytestmark = pytest.mark.django_db
NAME = "Metalurgica Moldova Grup SA"


def _json(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def served(world):
    """``other`` serves the company already."""
    world.served = make_client(distributor=world.other, territory=world.territory, legal_name=NAME)
    return world


def test_confirmed_copy_of_a_client_served_elsewhere_opens_a_case_for_the_channel_manager(served, api_as):
    head = api_as(served.user("dist_head"))
    body = {"legal_name": "Metalurgica Moldova Grup SRL", "territory_id": served.territory.pk}
    assert _json(head, "POST", "/api/v1/clients", body).status_code == 409  # the warning, as before
    assert not Conflict.objects.exists()

    response = _json(head, "POST", "/api/v1/clients", {**body, "confirm_not_duplicate": True})
    assert response.status_code == 201, response.content
    copy = CorporateClient.objects.get(pk=response.json()["id"])
    conflict = Conflict.objects.get(kind=ConflictKind.POSSIBLE_DUPLICATE)
    assert conflict.client == copy and conflict.is_open
    assert {(p.distributor_id, p.role) for p in conflict.parties.all()} == {
        (served.own.pk, PartyRole.CLAIMANT), (served.other.pk, PartyRole.HOLDER)}
    note = Notification.objects.get(recipient=served.user("channel_manager"))
    assert "Possible duplicate" in note.title and note.url == conflict.get_absolute_url()
    # The channel manager reads which client matched (an internal comment) ...
    cm = _json(api_as(served.user("channel_manager")), "GET", f"/api/v1/conflicts/{conflict.pk}/comments").json()
    assert any(NAME in c["body"] for c in cm)

    # ... the creating distributor sees its own case without a trace of the other side.
    for url in (f"/api/v1/conflicts/{conflict.pk}", f"/api/v1/conflicts/{conflict.pk}/comments", "/api/v1/conflicts"):
        text = _json(head, "GET", url).content.decode()
        assert NAME not in text and served.other.legal_name not in text and f'"{served.other.code}"' not in text
    assert not Notification.objects.filter(recipient__membership__organization=served.other.organization).exists()


def test_the_watched_copy_needs_a_registration_past_the_first_stage(served, api_as):
    cover(served.own, served.territory, served.product_line)
    head = api_as(served.user("dist_head"))
    created = _json(head, "POST", "/api/v1/clients", {"legal_name": "Metalurgica Moldova Grup SRL",
                                                      "territory_id": served.territory.pk,
                                                      "confirm_not_duplicate": True})
    copy = CorporateClient.objects.get(pk=created.json()["id"])
    with pytest.raises(DealGateRefused) as refused:
        deals.opportunity_create(principal=served.principal("dist_head"), client=copy, distributor=served.own,
                                 owner=served.user("dist_head"), title="Compressors", stage=Stage.PROPOSAL,
                                 value=Decimal("50000"), product_lines=[served.product_line])
    assert [r.code for r in refused.value.refusals] == ["possible_duplicate"]


def test_the_page_path_is_watched_too(served, login):
    web = login(served.user("dist_head"))
    response = web.post(reverse("clients:client_create"), {
        "legal_name": "Metalurgica Moldova Grup SRL", "territory": served.territory.pk, "status": "prospect",
        "potential_annual_volume": "0", "confirm_step": "1", "confirm_not_duplicate": "on"})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert Conflict.objects.filter(kind=ConflictKind.POSSIBLE_DUPLICATE).count() == 1


def test_an_unrelated_new_client_opens_nothing(served, api_as):
    response = _json(api_as(served.user("dist_head")), "POST", "/api/v1/clients",
                     {"legal_name": "Cu Totul Alt Nume Industrial SA", "confirm_not_duplicate": True})
    assert response.status_code == 201
    assert not Conflict.objects.exists()

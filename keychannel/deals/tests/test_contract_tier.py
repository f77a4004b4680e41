"""Issue 23, finding 10: a contract's program tier is set by the manufacturer only (API, form, win)."""

import json

import pytest

from keychannel.deals.choices import ProgramTier, Stage
from keychannel.deals.models import CorporateContract
from keychannel.deals.tests.factories import ClientFactory, ContractFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _patch(api, url, body):
    return api.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def contract(world):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    return ContractFactory(client=client, owner=world.user("dist_head"))


def test_head_cannot_set_own_contracts_tier_over_the_api(world, api_as, contract):
    response = _patch(api_as(world.user("dist_head")), f"/api/v1/contracts/{contract.pk}",
                      {"tier": "platinum", "notes": "upgrade"})
    assert response.status_code == 422, response.content
    assert "tier" in json.dumps(response.json())
    contract.refresh_from_db()
    assert contract.tier == ProgramTier.STANDARD and contract.notes == ""  # nothing changed
    # The head still edits the rest; sending the tier it has is not a change.
    ok = _patch(api_as(world.user("dist_head")), f"/api/v1/contracts/{contract.pk}", {"tier": "standard", "notes": "x"})
    assert ok.status_code == 200


@pytest.mark.parametrize("role", ["program_manager", "channel_manager"])
def test_manufacturer_roles_set_the_tier(world, api_as, contract, role):
    response = _patch(api_as(world.user(role)), f"/api/v1/contracts/{contract.pk}", {"tier": "gold"})
    assert response.status_code == 200 and response.json()["tier"] == "gold"


def test_head_cannot_set_the_tier_through_the_form(world, login, contract):
    browser = login(world.user("dist_head"))
    page = browser.get(f"/deals/contracts/{contract.pk}/edit/")
    assert page.status_code == 200 and b'name="tier"' in page.content and b"disabled" in page.content
    response = browser.post(f"/deals/contracts/{contract.pk}/edit/", {
        "status": contract.status, "tier": "platinum", "ends_on": contract.ends_on.isoformat(),
        "volume_commitment": "5", "notes": "",
    })
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.tier == ProgramTier.STANDARD and contract.volume_commitment == 5


def test_a_distributor_win_creates_a_default_tier_contract_and_cannot_name_one(world, api_as):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.NEGOTIATION, probability=70)
    head = api_as(world.user("dist_head"))
    url = f"/api/v1/opportunities/{deal.pk}/move"
    refused = head.post(url, json.dumps({"stage": "won", "tier": "platinum"}), content_type="application/json")
    assert refused.status_code == 422 and "tier" in json.dumps(refused.json())
    assert not CorporateContract.objects.filter(client=client).exists()
    won = head.post(url, json.dumps({"stage": "won"}), content_type="application/json")
    assert won.status_code == 200, won.content
    assert CorporateContract.objects.get(client=client).tier == ProgramTier.STANDARD

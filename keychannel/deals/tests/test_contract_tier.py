"""Issue 23, finding 10: a contract's program tier is set by the manufacturer only (API, form, win)."""

import datetime
import json
from decimal import Decimal

import pytest

from keychannel.deals.choices import Stage
from keychannel.deals.models import CorporateContract, CorporateTier
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
    assert contract.tier_id == "standard" and contract.notes == ""  # nothing changed
    # The head still edits the rest; sending the tier it has is not a change.
    ok = _patch(api_as(world.user("dist_head")), f"/api/v1/contracts/{contract.pk}", {"tier": "standard", "notes": "x"})
    assert ok.status_code == 200


@pytest.mark.parametrize("role", ["program_manager", "channel_manager"])
def test_manufacturer_roles_set_the_tier(world, api_as, contract, role):
    CorporateContract.objects.filter(pk=contract.pk).update(value=1_500_000)
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
    assert contract.tier_id == "standard" and contract.volume_commitment == 5


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
    assert CorporateContract.objects.get(client=client).tier_id == "standard"


# --- Issue 15 part 4: one list of tiers; a contract's tier must match its committed annual volume


def _gold_contract(world, value=500_000):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    today = datetime.date.today()
    return ContractFactory(client=client, owner=world.user("dist_head"), value=Decimal(value),
                           starts_on=today, ends_on=today + datetime.timedelta(days=364))


def test_contract_tiers_are_the_program_tiers():
    from keychannel.program.models import CorporateTier as ProgramTierModel

    assert ProgramTierModel is CorporateTier  # one model, re-exported by the program
    gold = CorporateTier.objects.get(code="gold")  # made by the data migration
    assert gold.min_annual_volume == Decimal("1000000")
    levels = {s.priority: (s.response_hours, s.resolution_hours) for s in gold.service_levels.all()}
    assert set(levels) == {"critical", "high", "normal", "low"} and levels["critical"] < levels["low"]


def test_gold_below_its_threshold_is_refused_over_the_api_and_kept_with_an_exception(world, api_as):
    contract = _gold_contract(world)
    pm = api_as(world.user("program_manager"))
    refused = _patch(pm, f"/api/v1/contracts/{contract.pk}", {"tier": "gold"})
    assert refused.status_code == 422, refused.content
    assert "1,000,000" in json.dumps(refused.json()) and "500,000" in json.dumps(refused.json())
    contract.refresh_from_db()
    assert contract.tier_id == "standard" and contract.tier_exception_reason == ""  # nothing changed
    # A distributor head cannot record the exception.
    head = _patch(api_as(world.user("dist_head")), f"/api/v1/contracts/{contract.pk}",
                  {"tier_exception_reason": "we say so"})
    assert head.status_code == 422 and "tier_exception_reason" in json.dumps(head.json())
    ok = _patch(pm, f"/api/v1/contracts/{contract.pk}",
                {"tier": "gold", "tier_exception_reason": "Second plant signs next year."})
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["tier"] == "gold" and body["tier_exception_reason"] == "Second plant signs next year."
    assert body["tier_exception_by_id"] == world.user("program_manager").pk and body["tier_exception_at"]
    assert Decimal(body["annual_volume"]) == Decimal("500000")


def test_the_exception_is_shown_on_the_contract_page(world, api_as, login):
    contract = _gold_contract(world)
    _patch(api_as(world.user("program_manager")), f"/api/v1/contracts/{contract.pk}",
           {"tier": "gold", "tier_exception_reason": "Board committed the gold volume from next year."})
    page = login(world.user("dist_head")).get(f"/deals/contracts/{contract.pk}/")
    assert page.status_code == 200 and b"Board committed the gold volume from next year." in page.content


def test_gold_below_its_threshold_is_refused_through_the_form(world, login):
    contract = _gold_contract(world)
    browser = login(world.user("program_manager"))
    form = {"status": contract.status, "tier": "gold", "ends_on": contract.ends_on.isoformat(),
            "volume_commitment": "5", "notes": ""}
    refused = browser.post(f"/deals/contracts/{contract.pk}/edit/", form)
    assert refused.status_code in (200, 422) and b"1,000,000" in refused.content
    contract.refresh_from_db()
    assert contract.tier_id == "standard"
    kept = browser.post(f"/deals/contracts/{contract.pk}/edit/", {**form, "tier_exception_reason": "Pilot year."})
    assert kept.status_code == 302
    contract.refresh_from_db()
    assert contract.tier_id == "gold" and contract.tier_exception_reason == "Pilot year."
    assert contract.tier_exception_by == world.user("program_manager")


def test_a_win_naming_a_tier_its_volume_does_not_reach_is_refused(world, api_as):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.NEGOTIATION, probability=70,
                              value=Decimal("500000"))
    pm = api_as(world.user("program_manager"))
    url = f"/api/v1/opportunities/{deal.pk}/move"
    body = {"stage": "won", "tier": "gold", "gate_override_reason": "program office decision"}
    refused = pm.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 422 and "tier" in json.dumps(refused.json())
    assert not CorporateContract.objects.filter(client=client).exists()
    won = pm.post(url, json.dumps({**body, "tier_exception_reason": "Strategic logo."}),
                  content_type="application/json")
    assert won.status_code == 200, won.content
    contract = CorporateContract.objects.get(client=client)
    assert contract.tier_id == "gold" and contract.tier_exception_reason == "Strategic logo."


def test_the_admin_refuses_gold_below_its_threshold(world, login):
    contract = _gold_contract(world)
    browser = login(world.user("admin"))
    url = f"/admin/deals/corporatecontract/{contract.pk}/change/"
    form = {"client": contract.client_id, "distributor": contract.distributor_id, "owner": contract.owner_id,
            "starts_on": contract.starts_on.isoformat(), "ends_on": contract.ends_on.isoformat(),
            "renewal_on": "", "volume_commitment": "0", "value": "500000", "tier": "gold", "status": "active",
            "notes": "", "tier_exception_reason": ""}
    refused = browser.post(url, form)
    assert refused.status_code == 200 and b"1,000,000" in refused.content
    contract.refresh_from_db()
    assert contract.tier_id == "standard"
    kept = browser.post(url, {**form, "tier_exception_reason": "Framework agreement."})
    assert kept.status_code == 302, kept.content[:2000]
    contract.refresh_from_db()
    assert contract.tier_id == "gold" and contract.tier_exception_by == world.user("admin")


def test_the_data_migration_keeps_the_programs_tiers_and_links_every_contract_code(world):
    """deals 0008 copies the program's tier rows (ids, names, thresholds; a blank code gets one from the name) and
    makes a tier row, with service levels, for every code a contract carries."""
    import importlib

    from django.apps import apps as global_apps
    from django.db import connection

    from keychannel.deals.models import ServiceLevel

    migration = importlib.import_module("keychannel.deals.migrations.0008_corporate_tiers")
    ServiceLevel.objects.all().delete()
    CorporateTier.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE program_corporatetier (id integer PRIMARY KEY, name varchar(80), code varchar(30), "
                       "min_annual_volume decimal(16,2), discount_percent decimal(5,2), service_level text, "
                       "active boolean, created_at timestamp with time zone)")
        cursor.execute("INSERT INTO program_corporatetier VALUES (7, 'Gold', 'gold', 1000000, 6, 'Same-day parts', "
                       "%s, %s)", [True, "2026-01-01T00:00:00+00:00"])
        cursor.execute("INSERT INTO program_corporatetier VALUES (9, 'Key Partners', '', 3000000, 8, '', %s, %s)",
                       [False, "2026-01-01T00:00:00+00:00"])
    client = ClientFactory(distributor=world.own, territory=world.territory)
    CorporateContract.objects.filter(pk=ContractFactory(client=client, tier_id="standard").pk).update(tier="silver")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.copy_program_tiers(global_apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE program_corporatetier")
    gold = CorporateTier.objects.get(code="gold")
    assert (gold.pk, gold.name, gold.min_annual_volume, gold.service_level) == (7, "Gold", 1000000, "Same-day parts")
    partners = CorporateTier.objects.get(pk=9)
    assert partners.code == "key-partners" and not partners.active
    assert set(CorporateTier.objects.values_list("code", flat=True)) == {
        "gold", "key-partners", "standard", "silver", "platinum"}
    assert CorporateContract.objects.get(client=client).tier.name == "Silver"
    assert all(t.service_levels.count() == 4 for t in CorporateTier.objects.all())
    assert CorporateTier.objects.create(name="New", code="new", min_annual_volume=0, discount_percent=0).pk > 9

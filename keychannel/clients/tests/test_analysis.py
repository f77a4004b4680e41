"""The buying-centre analysis: each risk flag on a buying centre built for it, and the score formula."""

import datetime

import pytest

from keychannel.clients import services
from keychannel.clients.models import CorporateClient
from keychannel.clients.selectors import buying_centre_analysis, clients_at_risk, org_chart
from keychannel.clients.tests.factories import ClientFactory, ContactFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)
RECENT = TODAY - datetime.timedelta(days=10)


def _healthy(world):
    """A covered buying centre: no flag at all."""
    client = ClientFactory(distributor=world.own, is_key_account=True)
    us = [world.user("dist_sales"), world.user("dist_head"), world.user("mentor")]
    ceo = StakeholderFactory(client=client, full_name="CEO", level="executive", influence=5, attitude=1,
                             buying_roles=["decision_maker", "economic_buyer"], last_contact_on=RECENT)
    mm = StakeholderFactory(client=client, full_name="Plant manager", level="middle_manager", influence=4, attitude=2,
                            buying_roles=["champion", "influencer"], reports_to=ceo, last_contact_on=RECENT)
    user = StakeholderFactory(client=client, full_name="Operator", level="end_user", influence=1, attitude=0,
                              buying_roles=["user"], reports_to=mm)
    for person in (ceo, mm):
        ContactFactory(stakeholder=person, user=us[0])
        ContactFactory(stakeholder=person, user=us[1])
    ContactFactory(stakeholder=user, user=us[2])
    return client, {"ceo": ceo, "mm": mm, "user": user}


def _analyse(client):
    return buying_centre_analysis(client=client, today=TODAY)


def test_healthy_buying_centre_has_no_flags_and_full_score(world):
    client, _people = _healthy(world)
    analysis = _analyse(client)
    assert analysis.flag_codes == [] and analysis.score == 100 and not analysis.at_risk


def test_score_is_influence_weighted_share_engaged_and_not_opposed(world):
    client, people = _healthy(world)
    # An unknown sceptic with influence 2 and a known opponent with influence 2: 10 of 14 credited.
    StakeholderFactory(client=client, influence=2, attitude=-1, level="director")
    opponent = StakeholderFactory(client=client, influence=2, attitude=1, buying_roles=["opponent"], level="junior")
    ContactFactory(stakeholder=opponent, user=world.user("dist_sales"))
    assert _analyse(client).score == round(100 * 10 / 14)


def test_flag_strong_opponent(world):
    client, _p = _healthy(world)
    StakeholderFactory(client=client, full_name="CFO", influence=4, attitude=0, buying_roles=["opponent"])
    assert "strong_opponent" in _analyse(client).flag_codes
    weak, _p = _healthy(world)
    StakeholderFactory(client=weak, influence=3, attitude=-2)
    assert "strong_opponent" not in _analyse(weak).flag_codes
    hostile, _p = _healthy(world)
    StakeholderFactory(client=hostile, influence=5, attitude=-2)  # hostile counts as opponent without the role
    assert "strong_opponent" in _analyse(hostile).flag_codes


def test_flag_no_executive_contact(world):
    client, people = _healthy(world)
    people["ceo"].contacts.all().delete()
    assert "no_executive_contact" in _analyse(client).flag_codes


def test_flag_no_middle_manager_contact(world):
    client, people = _healthy(world)
    people["mm"].contacts.all().delete()
    assert "no_middle_manager_contact" in _analyse(client).flag_codes


def test_flag_single_threaded_and_no_contact(world):
    client, people = _healthy(world)
    people["mm"].contacts.all().delete()
    people["user"].contacts.all().delete()
    codes = _analyse(client).flag_codes
    assert "single_threaded" in codes and "no_contact" not in codes
    people["ceo"].contacts.all().delete()
    codes = _analyse(client).flag_codes
    assert "no_contact" in codes and "single_threaded" not in codes


def test_flag_decision_maker_unknown(world):
    client, people = _healthy(world)
    people["ceo"].buying_roles = ["economic_buyer"]
    people["ceo"].save()
    assert "decision_maker_unknown" in _analyse(client).flag_codes


def test_flag_no_champion(world):
    client, people = _healthy(world)
    people["mm"].buying_roles = ["influencer"]
    people["mm"].save()
    assert "no_champion" in _analyse(client).flag_codes


def test_flag_stale_contact(world):
    client, people = _healthy(world)
    people["ceo"].last_contact_on = TODAY - datetime.timedelta(days=91)
    people["ceo"].save()
    flags = {f.code: f for f in _analyse(client).flags}
    assert "stale_contact" in flags and flags["stale_contact"].people == [people["ceo"].pk]
    people["ceo"].last_contact_on = TODAY - datetime.timedelta(days=90)
    people["ceo"].save()
    assert "stale_contact" not in _analyse(client).flag_codes


def test_flag_key_person_known_by_one_of_us(world):
    client, people = _healthy(world)
    people["mm"].contacts.filter(user=world.user("dist_head")).delete()
    flags = {f.code: f for f in _analyse(client).flags}
    assert flags["single_relationship"].people == [people["mm"].pk]


def test_stored_analysis_feeds_the_at_risk_list(world):
    healthy, _p = _healthy(world)
    risky = ClientFactory(distributor=world.own, is_key_account=True)
    StakeholderFactory(client=risky, influence=5, attitude=-2, buying_roles=["opponent"])
    unmapped = ClientFactory(distributor=world.own)
    for client in (healthy, risky, unmapped):
        services.client_refresh_analysis(client=client, today=TODAY)
    risky.refresh_from_db()
    assert risky.coverage_score == 0 and "strong_opponent" in [f["code"] for f in risky.risk_flags]
    assert list(clients_at_risk(principal=world.principal("dist_sales"))) == [risky]
    assert list(clients_at_risk(principal=world.principal("dist_head"), filters={"q": "nothing-like-it"})) == []
    assert CorporateClient.objects.get(pk=unmapped.pk).coverage_score is None


def test_org_chart_data(world):
    client, people = _healthy(world)
    consultant = StakeholderFactory(client=client, full_name="<b>Consultant</b>", is_external=True,
                                    external_organization="Big Four", reports_to=people["ceo"])
    stakeholders = list(client.stakeholders.select_related("reports_to").prefetch_related("contacts__user"))
    chart = org_chart(client=client, stakeholders=stakeholders, links=[])
    root = chart["tree"]["children"]
    assert [n["name"] for n in root] == ["CEO"] and root[0]["children"][0]["name"] == "Plant manager"
    assert root[0]["children"][0]["children"][0]["name"] == "Operator"
    assert [e["name"] for e in chart["externals"]] == [consultant.full_name]
    assert root[0]["known_by"] and root[0]["roles"] == ["Decision maker", "Economic buyer"]


def test_refresh_command_recomputes_time_based_flags(world):
    from io import StringIO

    from django.core.management import call_command

    client, people = _healthy(world)
    services.client_refresh_analysis(client=client, today=TODAY)
    CorporateClient.objects.filter(pk=client.pk).update(risk_flag_count=7)
    out = StringIO()
    call_command("refresh_buying_centres", stdout=out)
    client.refresh_from_db()
    assert "1" in out.getvalue() and client.risk_flag_count < 7

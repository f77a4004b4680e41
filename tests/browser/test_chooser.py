"""A form's choice among many clients (core/choosers.py) in a real browser: the typed box asks for suggestions as the
user types, they fill its list, a picked one opens the deal; no Content-Security-Policy violation."""

import datetime

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_part_of_a_name_suggests_clients_and_a_picked_one_opens_the_deal(world, page, live_server, sign_in,
                                                                                monkeypatch):
    from keychannel.clients.models import CorporateClient
    from keychannel.core import choosers
    from keychannel.deals.models import Opportunity
    from keychannel.network.models import Coverage

    monkeypatch.setattr(choosers, "FORM_TYPED_FROM", 2)  # the server runs in this process: a few clients are "many"
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1))
    for code, name in (("CB1", "Termo Lituvi SRL"), ("CB2", "Cimentul Nord SA"), ("CB3", "Agro Vest SRL")):
        CorporateClient.objects.create(legal_name=name, code=code, distributor=world.own, territory=world.territory)
    CorporateClient.objects.create(legal_name="Termo Ascuns SRL", code="CB9", distributor=world.other,
                                   territory=world.territory)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_default_timeout(60_000)  # a busy machine: the exchange, not the speed, is under test
    sign_in("w-da-sales")
    page.goto(f"{live_server.url}/deals/new/")
    assert page.locator("select#id_client").count() == 0
    page.locator("#id_client").press_sequentially("termo", delay=50)
    page.wait_for_selector("#id_client-options option", state="attached")  # a datalist's options are not drawn
    suggested = page.locator("#id_client-options option").evaluate_all("options => options.map(o => o.value)")
    assert suggested == ["CB1 · Termo Lituvi SRL"]  # the other distributor's "Termo" is not suggested
    page.fill("#id_client", suggested[0])  # as picking it from the list does
    page.fill("#id_title", "Chosen by typing")
    page.fill("#id_value", "1000")
    page.fill("#id_volume", "1")
    page.click("#deal-form button[type=submit]")
    page.wait_for_url(lambda url: "/deals/new/" not in url)
    deal = Opportunity.objects.get(title="Chosen by typing")
    assert deal.client.code == "CB1"
    assert violations == []

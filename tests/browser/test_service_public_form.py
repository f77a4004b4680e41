"""A client's contact opens a service case through the tokenised public form, in Romanian (issue 20, part 3): no
account, the browser's language, a refused empty form, then the case page with its reference and due time."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_contact_opens_a_case_in_romanian_through_the_public_form(world, browser, live_server):
    from keychannel.deals.models import CorporateTier
    from keychannel.deals.tests.factories import ClientFactory
    from keychannel.deals.tiers import ServiceLevel
    from keychannel.service import services
    from keychannel.service.models import ServiceCase

    # The standard tier and its service levels, as a fresh install has them (the data migration's rows).
    tier = CorporateTier.objects.get(code="standard")
    assert ServiceLevel.objects.filter(tier=tier, priority="high").exists()
    client = ClientFactory(distributor=world.own, territory=world.territory, legal_name="Oțelăria Dunărea SA")
    ClientFactory(distributor=world.own, territory=world.territory, legal_name="Alt Client Secret SRL")
    _link, url = services.intake_link_create(principal=world.principal("dist_head"), client=client)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ro-RO",
                                  extra_http_headers={"Accept-Language": "ro-RO,ro;q=0.9"})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a busy machine: the flow, not the speed, is under test
    page.goto(f"{live_server.url}{url}")
    assert page.locator("html").get_attribute("lang") == "ro"
    assert page.locator("h1").inner_text() == "Deschideți un caz de service"
    assert "Oțelăria Dunărea SA" in page.inner_text("main")
    assert "Alt Client Secret" not in page.content()  # the link reveals nothing but its client's name

    page.click("button[type=submit]")  # empty: refused, in Romanian, nothing created
    assert "Acest câmp este obligatoriu." in page.inner_text("main")
    assert ServiceCase.objects.count() == 0

    page.fill("#id_title", "Compresorul se oprește sub sarcină")
    page.fill("#id_description", "Compresorul de pe linia 2 se oprește după zece minute la sarcină maximă.")
    page.select_option("#id_case_type", "incident")
    page.select_option("#id_priority", "high")
    page.fill("#id_site", "Fabrica Galați, hala 2")
    page.fill("#id_contact_name", "Ana Popescu")
    page.fill("#id_contact_email", "ana.popescu@oteldunarea.example")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#case-status").count() == 1, page.inner_text("main")
    case = ServiceCase.objects.get()
    assert (case.client_id, case.distributor_id, case.contact_email, case.priority, case.site) == (
        client.pk, world.own.pk, "ana.popescu@oteldunarea.example", "high", "Fabrica Galați, hala 2")
    heading = page.locator("h1").inner_text()
    assert case.reference in heading and "Compresorul se oprește sub sarcină" in heading
    status = page.inner_text("#case-status")
    assert "Stare" in status and "Prioritate" in status, status
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # fits a phone
    context.close()

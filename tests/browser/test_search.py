"""The top bar's search box: Ctrl-K focuses it from any page, Enter shows the hits the user may see."""

import pytest

from keychannel.clients.tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ctrl_k_searches_from_the_top_bar(world, page, live_server, sign_in, screenshot):
    own = ClientFactory(legal_name="Tehnoplast Brașov SRL", distributor=world.own)
    ClientFactory(legal_name="Tehnoplast Bacău SRL", distributor=world.other)
    sign_in("w-da-head")
    page.goto(f"{live_server.url}/clients/")
    assert page.evaluate("() => document.activeElement && document.activeElement.id") != "kc-search-q"
    page.keyboard.press("Control+k")
    assert page.evaluate("() => document.activeElement.id") == "kc-search-q"
    page.keyboard.type("tehnoplsat brasov")
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-group-clients")
    group = page.locator("#search-group-clients").inner_text()
    assert "Tehnoplast Brașov SRL" in group
    assert "Bacău" not in page.content()  # another distributor's client
    assert page.input_value("#kc-search-q") == "tehnoplsat brasov"
    screenshot("search-results")
    page.click("#search-group-clients a.kc-search-hit")
    page.wait_for_url(f"**/clients/{own.pk}/")
    # Escape leaves the box; Ctrl-K again selects what is in it.
    page.keyboard.press("Control+k")
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.id") != "kc-search-q"

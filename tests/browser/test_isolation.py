"""A distributor head sees exactly one distributor and gets the not-found page for another's URL."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_distributor_head_sees_only_own_distributor(world, page, live_server, sign_in, screenshot):
    sign_in("w-da-head")
    page.click("#main-nav >> text=Distributors")
    page.wait_for_selector("#kc-table")
    rows = page.locator("#kc-table tbody tr")
    assert rows.count() == 1
    assert "Alfa Distribuție SRL" in rows.first.inner_text()
    assert "Beta" not in page.content()
    screenshot("distributor-head-list")

    response = page.goto(f"{live_server.url}/network/distributors/{world.other.pk}/")
    assert response.status == 404
    assert page.locator("#not-found").is_visible()
    assert "Beta Industrial" not in page.content()

    page.goto(f"{live_server.url}/network/distributors/{world.own.pk}/")
    assert page.locator("#distributor-name").inner_text() == "Alfa Distribuție SRL"


def test_table_search_filters_through_htmx(world, page, live_server, sign_in):
    sign_in("w-admin")
    page.goto(f"{live_server.url}/network/distributors/")
    assert page.locator("#kc-table tbody tr").count() == 2
    page.fill("#table-search", "Beta")
    page.wait_for_function("() => document.querySelectorAll('#kc-table tbody tr').length === 1")
    assert "Beta Industrial SA" in page.locator("#kc-table tbody").inner_text()
    assert "q=Beta" in page.url

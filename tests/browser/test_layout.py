"""At 390 px the sidebar is a menu behind the top bar's button (issue 18, part 3). That no page is wider than the
window, at 1440, 1280 and 390 px, is checked on every page by the walk (test_a11y_walk.py)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_sidebar_is_a_menu(world, page, live_server, sign_in, screenshot):
    sign_in("w-da-sales")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    assert not page.locator("#main-nav").is_visible()  # no 230-px column eating the phone's width
    page.click("#menu-toggle")
    page.wait_for_selector("#main-nav-panel.show")
    page.locator("#main-nav").get_by_text("Pipeline").click()
    page.wait_for_url("**/deals/pipeline/")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("layout-390-pipeline")

"""Every role lands on its cockpit: its own due items, none of another role's or another distributor's; and the
scorecard draws its trend charts. Screenshots go to test-artifacts/ (cockpit-<role>.png, scorecard-*.png).

The home page is a shell whose panels load in their own HTMX requests (issue 22): the test waits until no panel
placeholder is left (Playwright's expect retries), then reads the panels as before."""

import pytest
from playwright.sync_api import expect

from tests.cockpit_data import busy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# role -> (username, a panel that must list an item, text of one of its due items, panels of other roles)
CASES = {
    "admin": ("w-admin", "channel.decisions", "Client other", ["deals.next_steps", "competence.my_tasks"]),
    "program_manager": ("w-program_manager", "program.approvals", "Fair own", ["program.my_goals", "deals.at_risk"]),
    "executive": ("w-executive", "program.signoff", "Awaiting program", ["channel.decisions", "program.approvals"]),
    "channel_manager": ("w-channel_manager", "network.my_distributors", "Alfa Distribuție SRL",
                        ["program.approvals", "competence.my_tasks"]),
    "dist_head": ("w-da-head", "deals.at_risk", "Deal own", ["channel.decisions", "network.relationships"]),
    "dist_sales": ("w-da-sales", "deals.next_steps", "Deal own", ["deals.team", "program.my_support"]),
    "embedded_kam": ("w-embedded_kam", "competence.my_tasks", "Task own", ["competence.coaching", "deals.won"]),
    "mentor": ("w-mentor", "competence.coaching", "Client own", ["competence.my_tasks", "channel.decisions"]),
}
# Scoped roles never see the other distributor's items.
OTHERS = ("Deal other", "Registration other", "Protected other", "Action other", "Beta Industrial SA")


@pytest.mark.parametrize("role", sorted(CASES))
def test_each_role_lands_on_its_cockpit(world, page, sign_in, screenshot, role):
    busy(world)
    username, panel, item, foreign = CASES[role]
    sign_in(username)
    cockpit = page.locator("#cockpit")
    cockpit.wait_for()
    expect(page.locator("[data-panel-slot]")).to_have_count(0)  # every lazy panel has loaded (or gone: nothing due)
    expect(page.locator("#home-figures")).to_be_visible()
    assert page.locator('[aria-busy="true"]').count() == 0
    box = page.locator(f'[data-panel="{panel}"]')
    assert item in box.inner_text()
    link = box.locator("a", has_text=item).first
    assert link.get_attribute("href")  # every item is a link to act on it
    for key in foreign:
        assert page.locator(f'[data-panel="{key}"]').count() == 0, (role, key)
    if role not in ("admin", "program_manager", "executive"):
        text = cockpit.inner_text()
        for marker in OTHERS:
            assert marker not in text, (role, marker)
    screenshot(f"cockpit-{role}")
    link.click()
    page.wait_for_load_state()
    assert page.locator("#not-found").count() == 0


def test_without_javascript_each_panel_is_a_link_to_its_page(world, browser, live_server):
    busy(world)
    context = browser.new_context(viewport={"width": 1360, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "w-da-sales")
    page.fill("#id_password", "test-password")
    page.click("button[type=submit]")
    page.wait_for_selector("#main-nav")
    link = page.locator('[data-panel-slot="deals.next_steps"] a')
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_load_state()
    expect(page.locator('[data-panel="deals.next_steps"]')).to_contain_text("Deal own")
    context.close()


def test_the_scorecard_draws_its_trends(world, page, live_server, sign_in, screenshot):
    busy(world)
    sign_in("w-program_manager")
    page.goto(f"{live_server.url}/program/scorecards/?sort=-pipeline")
    page.wait_for_function("() => document.querySelectorAll('.kc-spark canvas').length >= 2")
    assert page.locator("#scorecard-table tbody tr").count() == 2
    screenshot("scorecard-network")
    page.click(f"#scorecard-table a[href*='/program/scorecards/{world.own.pk}/']")
    page.wait_for_function("() => document.querySelector('#scorecard-trend canvas') !== null")
    assert "Alfa Distribuție SRL" in page.locator("h1").inner_text()
    screenshot("scorecard-card")


def test_a_head_sees_one_card_without_the_internal_assessment(world, page, live_server, sign_in, screenshot):
    busy(world)
    sign_in("w-da-head")
    page.goto(f"{live_server.url}/program/scorecards/")
    assert page.locator("#scorecard-table tbody tr").count() == 1
    assert "Beta Industrial SA" not in page.content()
    assert page.locator("[data-sort=health]").count() == 0
    page.goto(f"{live_server.url}/program/scorecards/{world.own.pk}/")
    assert page.locator("#scorecard-health").count() == 0
    screenshot("scorecard-head")

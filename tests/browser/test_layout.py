"""No page is wider than the window: at 1440 and 1280 px wide content scrolls in its own container, and at 390 px
the sidebar is a menu behind the top bar's button (issue 18, part 3). Screenshots go to test-artifacts/."""

import pytest
from django.urls import reverse

from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("core:home", {}), ("core:profile", {}), ("core:notification_list", {}),
    ("deals:pipeline", {}), ("deals:opportunity_list", {}), ("deals:forecast", {}), ("deals:contract_list", {}),
    ("clients:client_list", {}), ("clients:at_risk", {}),
    ("network:distributor_list", {}), ("network:distributor_quadrant", {}), ("network:coverage_matrix", {}),
    ("network:relationship_health", {}),
    ("channel:registration_list", {}), ("channel:conflict_list", {}), ("channel:lead_list", {}),
    ("program:program_list", {}), ("program:support_list", {}),
    ("competence:coverage_gaps", {}), ("competence:structure", {}),
    ("sales:report_list", {}), ("sales:segment_list", {}),
]


def _overflow(page):
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def _world_pages(world):
    client = ClientFactory(distributor=world.own, territory=world.territory,
                           legal_name="Societatea Națională de Transport Gaze Naturale și Energie Regenerabilă SA")
    for stage in ("discussion", "consultation", "proposal", "negotiation", "lost"):
        OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=stage,
                           title=f"A long deal title for {stage} with many words in it", lost_reason="price" if stage == "lost" else "")
    return [reverse(name, kwargs=kwargs) for name, kwargs in PAGES] + [
        reverse("clients:client_detail", args=[client.pk]),
        reverse("network:distributor_detail", args=[world.own.pk]),
    ]


@pytest.mark.parametrize("width,height", [(1440, 900), (1280, 800), (390, 844)])
def test_no_page_is_wider_than_the_window(world, page, live_server, sign_in, screenshot, width, height):
    urls = _world_pages(world)
    sign_in("w-admin")
    page.set_viewport_size({"width": width, "height": height})
    too_wide = []
    for url in urls:
        response = page.goto(f"{live_server.url}{url}")
        assert response.status < 400, url
        page.wait_for_load_state("networkidle")
        document, window = _overflow(page)
        if document > window:
            too_wide.append(f"{url}: {document}px > {window}px")
            screenshot(f"layout-{width}-{url.strip('/').replace('/', '-') or 'home'}")
    assert not too_wide, "pages wider than the window:\n" + "\n".join(too_wide)


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

"""The network charts render in a real browser: quadrant, coverage matrix, relationship map, readiness trend."""

from datetime import date

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def network(world):
    from keychannel.network.defaults import ensure_defaults
    from keychannel.network.models import (
        Coverage,
        DistributorPerson,
        ReadinessAssessment,
        ReadinessQuestionnaire,
        Relationship,
    )

    ensure_defaults()
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=date(2024, 1, 1))
    head = DistributorPerson.objects.create(distributor=world.own, full_name="Dan Alfa", level="first_person")
    middle = DistributorPerson.objects.create(distributor=world.own, full_name="Mara Alfa", level="middle_manager")
    Relationship.objects.create(person=head, manufacturer_user=world.user("executive"), manufacturer_level="top",
                                strength=5, last_interaction=date(2026, 11, 1))
    Relationship.objects.create(person=middle, manufacturer_user=world.user("channel_manager"),
                                manufacturer_level="middle", strength=2, last_interaction=date(2024, 1, 1))
    questionnaire = ReadinessQuestionnaire.objects.get(version=1)
    for day, score in ((date(2025, 1, 10), 30), (date(2025, 9, 10), 55)):
        ReadinessAssessment.objects.create(distributor=world.own, questionnaire=questionnaire, assessed_on=day, score=score)
    return world


def test_quadrant_chart_shows_every_distributor_and_opens_one(network, page, live_server, sign_in, screenshot):
    sign_in("w-program_manager")
    page.goto(f"{live_server.url}/network/distributors/quadrant/")
    page.wait_for_selector("#quadrant-chart svg")
    assert page.locator("#quadrant-chart").get_attribute("data-points") == "2"
    screenshot("network-quadrant")
    page.goto(f"{live_server.url}/network/coverage/")
    assert page.locator("#coverage-matrix td[data-state='sole']").count() == 1
    screenshot("network-coverage-matrix")


def test_relationship_map_and_readiness_trend_draw_when_their_tab_opens(network, page, live_server, sign_in, screenshot):
    sign_in("w-channel_manager")
    page.goto(f"{live_server.url}/network/distributors/{network.own.pk}/")
    assert page.locator("#playbook").is_visible()
    page.click("#tab-people-button")
    page.wait_for_selector("#relationship-map svg")
    assert page.locator("#relationship-map").get_attribute("data-links") == "2"
    screenshot("network-relationship-map")
    page.click("#tab-readiness-button")
    page.wait_for_selector("#readiness-trend canvas")
    assert page.locator("#readiness-trend").get_attribute("data-points") == "2"
    assert page.locator("#latest-readiness-score").count() == 1
    screenshot("network-readiness-trend")


def test_salesperson_sees_people_but_no_relationship_map(network, page, live_server, sign_in):
    sign_in("w-da-sales")
    page.goto(f"{live_server.url}/network/distributors/{network.own.pk}/")
    page.click("#tab-people-button")
    assert "Dan Alfa" in page.locator("#people-table").inner_text()
    assert page.locator("#relationship-map").count() == 0
    assert page.locator("#tab-readiness-button").count() == 0

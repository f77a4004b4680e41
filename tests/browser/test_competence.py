"""The channel-structure graph renders in headless Chromium; a KAM task goes from manufacturer to KAM."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _network(world):
    from keychannel.competence.tests.factories import client_of, mentor_of

    client_of(world.own, "Fabrica Cluj SA", is_key_account=True)
    client_of(world.own, "<b>Oțelăria</b> SA", is_key_account=True)
    client_of(world.other, "Mina Beta SA", is_key_account=True)
    mentor_of(world.other, "w-mentor-b")


def test_channel_structure_graph_renders(world, page, live_server, sign_in, screenshot):
    _network(world)
    sign_in("w-program_manager")
    page.click("#main-nav >> text=Channel structure")
    page.wait_for_selector("#structure-graph canvas")
    page.wait_for_function("() => document.getElementById('structure-graph').dataset.rendered === 'true'")
    nodes = page.evaluate("window.keychannelStructure.getOption().series[0].data.length")
    assert nodes == 1 + 3 + 2 + 3  # manufacturer, two mentors and a KAM, two distributors, three key clients
    assert "Fig. 1: 1" in page.inner_text("#structure-summary")
    assert "<b>" not in page.inner_text("#structure-summary")
    screenshot("competence-channel-structure")


def test_kam_task_from_manufacturer_to_kam(world, page, live_server, sign_in, screenshot):
    sign_in("w-channel_manager")
    page.goto(f"{live_server.url}/competence/kam-tasks/new/")
    page.select_option("#id_distributor", str(world.own.pk))
    page.select_option("#id_kam", str(world.users["embedded_kam"].pk))
    page.select_option("#id_duty", "access")
    page.fill("#id_title", "Meet the purchasing director")
    page.click("#kc-form button[type=submit]")
    page.wait_for_selector("#task-title")
    assert page.inner_text("#task-title") == "Meet the purchasing director"
    url = page.url
    page.click("text=Log out")
    sign_in("w-embedded_kam")
    page.goto(url)
    page.select_option("#status-form select[name=status]", "in_progress")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#task-status")
    assert "In progress" in page.inner_text("#task-status")
    screenshot("competence-kam-task")

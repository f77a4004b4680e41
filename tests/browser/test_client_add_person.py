"""The client page's "Add a person" form is drawn when its section is opened (issue 22): the fields arrive, the
person is added, and the buying centre shows them, with no Content-Security-Policy violation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_opening_add_a_person_loads_the_form_and_adds_the_person(world, page, live_server, sign_in):
    from keychannel.clients.models import CorporateClient, Stakeholder

    client = CorporateClient.objects.create(legal_name="Lazy Form Client SA", tax_id="RO83000001",
                                            distributor=world.own)
    Stakeholder.objects.create(client=client, full_name="Zoe Boss", level="executive")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_default_timeout(60_000)  # a busy machine: the loading, not the speed, is under test
    sign_in("w-da-head")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    assert page.locator("#id_new-full_name").count() == 0  # not drawn with the page
    page.click("#new-stakeholder summary")
    page.wait_for_selector("#id_new-full_name")
    assert page.locator("#id_new-reports_to option", has_text="Zoe Boss").count() == 1
    page.fill("#id_new-full_name", "Dan Lazy")
    page.select_option("#id_new-level", "middle_manager")
    page.click("#new-stakeholder button[type=submit]")
    page.wait_for_selector("#stakeholder-table >> text=Dan Lazy")
    assert Stakeholder.objects.filter(client=client, full_name="Dan Lazy").exists()
    assert violations == []

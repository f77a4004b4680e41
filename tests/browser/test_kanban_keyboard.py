"""The kanban without a mouse, and the lost reason asked in a dialog with the list (issue 18, parts 4 and 5).

A card is moved with the keyboard only (Tab to its Move button, Enter, arrow keys in the dialog); the move goes
through the same endpoint and service as a drag, the result is announced in a live region, and the focus comes
back to the moved card. Dropping a card on Lost asks why in the same dialog (no window.prompt): the reason is
required, "other" needs details, Esc puts the card back.
"""

import pytest

from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity, StageChange
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

from .test_deals import _drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_CARD = "() => { const c = document.activeElement.closest('.kc-card'); return c ? c.id : ''; }"


def _tab_to(page, card_id, limit=250):
    """Press Tab until the keyboard focus is on the card's Move button."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('kc-move')") and \
                page.evaluate(FOCUSED_CARD) == card_id:
            return
    raise AssertionError(f"Tab never reached the Move button of {card_id}")


def _focused(page):
    return page.evaluate("() => document.activeElement.id")


def test_a_card_moves_with_the_keyboard_only_and_the_move_is_announced(world, page, live_server, sign_in, screenshot):
    client = ClientFactory(distributor=world.own, territory=world.territory, legal_name="Oțelăria Vest SA")
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), title="Pumps for the rolling mill",
                              stage=Stage.PROPOSAL)
    sign_in("w-da-sales")
    page.goto(f"{live_server.url}/deals/pipeline/")
    page.wait_for_selector(f"#column-proposal #card-{deal.pk}")

    _tab_to(page, f"card-{deal.pk}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#move-dialog.show")
    page.wait_for_function("() => document.activeElement.id === 'move-dialog-stage'")
    assert page.locator("#move-dialog-deal").inner_text() == "Pumps for the rolling mill"
    page.keyboard.press("ArrowDown")  # proposal → negotiation
    assert page.input_value("#move-dialog-stage") == "negotiation"
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Move
    assert _focused(page) == "move-dialog-submit"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#column-negotiation #card-{deal.pk}")
    page.wait_for_function(f"() => (document.activeElement.closest('.kc-card') || {{}}).id === 'card-{deal.pk}'")
    assert page.locator("#board-status").inner_text() == "“Pumps for the rolling mill” moved to Negotiation."
    assert page.locator("#board-status").get_attribute("aria-live") == "polite"
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.NEGOTIATION
    change = StageChange.objects.filter(opportunity=deal).last()
    assert (change.from_stage, change.to_stage, change.changed_by) == ("proposal", "negotiation", world.user("dist_sales"))
    screenshot("kanban-keyboard-moved")

    # Lost from the keyboard: the reason is asked, and required.
    page.keyboard.press("Enter")  # the focus is back on the moved card's Move button
    page.wait_for_selector("#move-dialog.show")
    page.wait_for_function("() => document.activeElement.id === 'move-dialog-stage'")
    page.keyboard.press("ArrowDown")  # won
    page.keyboard.press("ArrowDown")  # lost
    page.wait_for_selector("#move-dialog-lost_reason_code", state="visible")
    for _ in range(4):  # reason (left empty), details, Cancel, Move
        page.keyboard.press("Tab")
    assert _focused(page) == "move-dialog-submit"
    page.keyboard.press("Enter")
    page.wait_for_selector("#move-dialog-error:not(.d-none)")
    assert page.locator("#move-dialog-error").inner_text() == "Choose why the deal was lost."
    assert page.locator("#move-dialog.show").count() == 1  # still open, to correct
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.NEGOTIATION
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "move-dialog-lost_reason_code"
    page.keyboard.press("ArrowDown")  # Price
    assert page.input_value("#move-dialog-lost_reason_code") == "price"
    page.keyboard.press("Tab")
    page.keyboard.type("12 % cheaper offer")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#column-lost #card-{deal.pk}")
    page.wait_for_function("() => document.getElementById('board-status').textContent.includes('Lost')")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason_code, deal.lost_reason) == (Stage.LOST, "price", "12 % cheaper offer")
    screenshot("kanban-keyboard-lost")


def test_dropping_a_card_on_lost_asks_why_in_a_dialog(world, page, live_server, sign_in, screenshot):
    client = ClientFactory(distributor=world.own, territory=world.territory, legal_name="Cimentul Nord SA")
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), title="Compressors for plant 2")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in("w-da-sales")
    page.goto(f"{live_server.url}/deals/pipeline/")
    page.wait_for_selector(f"#column-discussion #card-{deal.pk}")

    # Esc closes the dialog and the card goes back to its column.
    _drag(page, f"#card-{deal.pk}", "#column-lost")
    page.wait_for_selector("#move-dialog.show")
    page.wait_for_function("() => document.activeElement.id === 'move-dialog-lost_reason_code'")
    assert page.input_value("#move-dialog-stage") == "lost"
    screenshot("kanban-lost-dialog")
    page.keyboard.press("Escape")
    page.wait_for_selector("#move-dialog", state="hidden")
    page.wait_for_selector(f"#column-discussion #card-{deal.pk}")
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.DISCUSSION

    # "Other" without details is refused by the service; with them the deal is lost.
    _drag(page, f"#card-{deal.pk}", "#column-lost")
    page.wait_for_selector("#move-dialog.show")
    page.select_option("#move-dialog-lost_reason_code", "other")
    page.click("#move-dialog-submit")
    page.wait_for_selector("#move-dialog-error:not(.d-none)")
    assert page.locator("#move-dialog-error").inner_text() == "Say why the deal was lost."
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.DISCUSSION
    page.fill("#move-dialog-lost_reason", "The plant was sold")
    page.click("#move-dialog-submit")
    # (The dragged card already sits in the Lost column: wait for the server's answer, announced.)
    page.wait_for_function("() => document.getElementById('board-status').textContent.endsWith('moved to Lost.')")
    page.wait_for_selector("#move-dialog", state="hidden")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason_code, deal.lost_reason) == (Stage.LOST, "other", "The plant was sold")
    assert dialogs == []  # no window.prompt

    # The forecast page reports why deals were lost.
    page.goto(f"{live_server.url}/deals/forecast/")
    row = page.locator("#lost-reasons tr[data-reason=other]")
    assert row.locator("td").nth(0).inner_text() == "Other" and row.locator("td").nth(1).inner_text() == "1"
    screenshot("forecast-lost-reasons")


def test_show_more_under_a_column_loads_its_next_cards_from_the_keyboard(world, page, live_server, sign_in):
    """Issue 22: a column shows its 10 most recently touched cards; "Show more" (a button: Tab, Enter) appends the
    next ones, the focus goes to the first of them and the live region says so; those cards move like the others."""
    client = ClientFactory(distributor=world.own, territory=world.territory, legal_name="Oțelăria Vest SA")
    deals = [OpportunityFactory(client=client, owner=world.user("dist_sales"), title=f"Deal {i:02d}",
                                stage=Stage.DISCUSSION) for i in range(12)]
    sign_in("w-da-sales")
    page.goto(f"{live_server.url}/deals/pipeline/")
    page.wait_for_selector("#more-discussion")
    assert page.locator("#column-discussion .kc-card").count() == 10
    for _ in range(400):
        page.keyboard.press("Tab")
        if _focused(page) == "more-discussion":
            break
    else:
        raise AssertionError("Tab never reached Show more")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#column-discussion .kc-card').length === 12")
    page.wait_for_function("() => document.activeElement.classList.contains('kc-move')")
    assert page.evaluate(FOCUSED_CARD) == f"card-{deals[1].pk}"  # the two oldest come last, newer first
    assert page.locator("button#more-discussion").count() == 0
    assert page.locator("#board-status").inner_text() == "More deals shown in this column."

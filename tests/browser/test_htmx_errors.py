"""Refused HTMX actions show a sentence in the page's error box, never the HTML of an error page; the kanban does
not let a salesperson pick up a colleague's card (issue 18, part 5)."""

import pytest

from keychannel.core.choices import Role
from keychannel.core.tests.factories import make_user
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity, StageChange
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

from .test_deals import _drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_colleagues_card_cannot_be_picked_up_and_a_refusal_is_a_sentence(world, page, live_server, sign_in,
                                                                            screenshot):
    colleague = make_user(Role.DIST_SALES, world.own.organization, username="w-da-sales-2")
    client = ClientFactory(distributor=world.own, territory=world.territory, legal_name="Oțelăria Vest SA")
    mine = OpportunityFactory(client=client, owner=world.user("dist_sales"), title="My compressors")
    theirs = OpportunityFactory(client=client, owner=colleague, title="Colleague's pumps")
    sign_in("w-da-sales")
    page.click("#main-nav >> text=Pipeline")
    page.wait_for_selector(f"#column-discussion #card-{theirs.pk}")
    assert "kc-locked" in page.get_attribute(f"#card-{theirs.pk}", "class")
    assert "kc-locked" not in page.get_attribute(f"#card-{mine.pk}", "class")

    # Dragging the colleague's card does nothing: it never leaves its column and nothing is posted.
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    _drag(page, f"#card-{theirs.pk}", "#column-consultation")
    page.wait_for_timeout(300)
    assert page.locator(f"#column-discussion #card-{theirs.pk}").count() == 1
    assert requests == []
    assert Opportunity.objects.get(pk=theirs.pk).stage == Stage.DISCUSSION
    screenshot("kanban-locked-card")

    # Should a move reach the server anyway (a stale page, a hand-made request), the answer is a sentence.
    move_url = f"/deals/{theirs.pk}/move/"
    page.evaluate("""(url) => htmx.ajax("POST", url, {source: document.getElementById("kc-error"), swap: "none",
                                                      values: {stage: "consultation"}})""", move_url)
    page.wait_for_selector("#kc-error:not(.d-none)")
    text = page.locator("#kc-error").inner_text()
    assert text == "Your role may not do this."
    assert "<" not in page.locator("#kc-error").inner_html() and "csrf" not in text.lower()
    assert Opportunity.objects.get(pk=theirs.pk).stage == Stage.DISCUSSION
    assert StageChange.objects.filter(opportunity=theirs).count() == 1  # only its creation
    screenshot("htmx-refusal-sentence")

    # The salesperson's own card still moves.
    _drag(page, f"#card-{mine.pk}", "#column-consultation")
    page.wait_for_selector(f"#column-consultation #card-{mine.pk}")
    page.wait_for_function("() => document.querySelector('.kc-count[data-stage=consultation]').textContent.trim() === '1'")
    assert Opportunity.objects.get(pk=mine.pk).stage == Stage.CONSULTATION

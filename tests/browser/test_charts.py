"""Charts that read right, measured in the browser (issue 18, part 6): the quadrant's code labels never overlap and
its axes carry tick labels; the relationship map shows every name in full inside the chart."""

from datetime import date

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "Alexandru-Constantin Vasilescu-Dumitrescu"

# The text elements the SVG renderer drew, with their boxes (page coordinates).
TEXTS = """
(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  const texts = [...document.querySelectorAll(selector + " svg text")].map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom};
  });
  return {box: {left: box.left, top: box.top, right: box.right, bottom: box.bottom}, texts};
}
"""


def _overlap(a, b, tolerance=2):
    """Two text boxes share more than ``tolerance`` px both ways (the lines of one wrapped label touch by a pixel)."""
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > tolerance and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance


def test_quadrant_labels_do_not_overlap_and_the_axes_have_ticks(world, page, live_server, sign_in, screenshot):
    from keychannel.network.tests.factories import DistributorFactory

    for n in range(10):
        DistributorFactory(shares_goals="yes", shares_methods="yes", annual_revenue=500_000 + n * 400_000)
    for n in range(5):
        DistributorFactory(shares_goals="partly", shares_methods="no", annual_revenue=2_000_000 + n * 10_000)
    page.set_default_timeout(60_000)  # a busy CI machine: the measure, not the speed, is under test
    sign_in("w-program_manager")
    page.goto(f"{live_server.url}/network/distributors/quadrant/")
    page.wait_for_function("() => document.getElementById('quadrant-chart').dataset.rendered === 'true'")
    page.wait_for_timeout(300)  # the entry animation ends
    drawn = page.evaluate(TEXTS, "#quadrant-chart")
    codes = [t for t in drawn["texts"] if t["text"].startswith("t") and t["text"][1:].isdigit()]
    assert len(codes) == 15
    overlapping = [(a["text"], b["text"]) for i, a in enumerate(codes) for b in codes[i + 1:] if _overlap(a, b)]
    assert overlapping == []
    words = [t["text"] for t in drawn["texts"]]
    for tick in ("No", "Partly", "Yes"):
        assert words.count(tick) >= 2, tick  # on both axes
    assert "Shares our methods" in words and "Shares our goals" in words
    screenshot("charts-quadrant")


def test_relationship_map_shows_full_names_inside_the_chart(world, page, live_server, sign_in, screenshot):
    from keychannel.network.models import DistributorPerson, Relationship

    people = [("first_person", LONG_NAME), ("top_manager", "Bogdan Pop"), ("top_manager", "Carmen Ilie"),
              ("top_manager", "Dana Rusu"), ("middle_manager", "Elena Marin-Georgescu"), ("sales", "Florin Stan")]
    executive = world.user("executive")
    executive.first_name, executive.last_name = "Ioana-Maria", "Constantinescu-Popovici"
    executive.save()
    for level, name in people:
        person = DistributorPerson.objects.create(distributor=world.own, full_name=name, level=level)
        Relationship.objects.create(person=person, manufacturer_user=executive, manufacturer_level="top", strength=3,
                                    last_interaction=date(2026, 11, 1))
    page.set_default_timeout(60_000)
    sign_in("w-channel_manager")
    page.goto(f"{live_server.url}/network/distributors/{world.own.pk}/")
    page.click("#tab-people-button")
    page.wait_for_function("() => document.getElementById('relationship-map').dataset.rendered === 'true'")
    page.wait_for_timeout(300)
    drawn = page.evaluate(TEXTS, "#relationship-map")
    box = drawn["box"]
    shown = " ".join(t["text"] for t in drawn["texts"])
    for _level, name in people:
        for part in name.split():
            assert part in shown, name
    assert "Constantinescu-Popovici" in shown
    assert "Our people" in shown and f"People of {world.own.code}" in shown  # the legend
    for t in drawn["texts"]:
        assert box["left"] - 0.5 <= t["left"] and t["right"] <= box["right"] + 0.5, t
    names = [t for t in drawn["texts"] if t["text"] and "People" not in t["text"] and "Our" not in t["text"]]
    overlapping = [(a["text"], b["text"]) for i, a in enumerate(names) for b in names[i + 1:] if _overlap(a, b)]
    assert overlapping == []
    assert page.locator("#relationship-map-legend li").count() == 4
    screenshot("charts-relationship-map")

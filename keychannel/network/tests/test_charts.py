"""Charts that read right (issue 18, part 6): the data the quadrant, the relationship map and relationship health
receive. The rendering itself is checked in a browser (tests/browser/test_charts.py)."""

import itertools
import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keychannel.network.models import DistributorPerson, Relationship
from keychannel.network.selectors import relationship_map
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db


def test_quadrant_places_distributors_with_the_same_answers_apart_inside_their_cell(world, login):
    """Nine distributors answering alike used to be placed by a hashed jitter, some on top of one another (their
    code labels overlapping); the axes had no tick labels (ticks fell on -0.5, 0.5, …)."""
    for n in range(9):
        DistributorFactory(shares_goals="yes", shares_methods="partly", annual_revenue=1_000_000 + n * 50_000)
    page = login(world.user("program_manager")).get(reverse("network:distributor_quadrant"))
    chart = page.context["chart"]
    assert chart["ticks"] == [0, 1, 2] and len(chart["axis"]) == 3
    cell = [p for p in chart["points"] if p["code"].startswith("t")]
    assert len(cell) == 9
    for p in cell:  # methods "partly" = 1, goals "yes" = 2: the point stays in its cell
        assert abs(p["x"] - 1) <= 0.35 and abs(p["y"] - 2) <= 0.35
    closest = min(math.dist((a["x"], a["y"]), (b["x"], b["y"])) for a, b in itertools.combinations(cell, 2))
    assert closest >= 0.7 / 3 - 0.005  # positions are rounded to 0.001


def _people(distributor, level, names):
    return [DistributorPerson.objects.create(distributor=distributor, full_name=name, level=level) for name in names]


def test_relationship_map_gives_each_level_its_own_band_full_names_and_a_legend(world):
    """Four top people on the distributor's side used to run into the middle level (rows of 40 px in bands of
    120 px): a middle manager was drawn at the height of the fourth top manager."""
    long_name = "Alexandru-Constantin Vasilescu-Dumitrescu"
    top = _people(world.own, "top_manager", [long_name, "Bogdan Pop", "Carmen Ilie", "Dana Rusu"])
    (middle,) = _people(world.own, "middle_manager", ["Elena Marin"])
    today = timezone.localdate()
    for person in [*top, middle]:
        Relationship.objects.create(person=person, manufacturer_user=world.user("executive"), manufacturer_level="top",
                                    strength=3, last_interaction=today)
    people = list(DistributorPerson.objects.filter(distributor=world.own))
    relationships = list(Relationship.objects.filter(person__distributor=world.own).select_related("person", "manufacturer_user"))
    data = relationship_map(distributor=world.own, people=people, relationships=relationships, on_date=today)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert long_name in nodes  # the full name: the chart wraps it, never cuts it
    tops = [nodes[p.full_name]["y"] for p in top]
    assert nodes["Elena Marin"]["y"] > max(tops)
    assert len({nodes[p.full_name]["y"] for p in top}) == 4
    ours = [n for n in data["nodes"] if n["side"] == "manufacturer"]
    theirs = [n for n in data["nodes"] if n["side"] == "distributor"]
    assert {n["label_position"] for n in ours} == {"left"} and {n["label_position"] for n in theirs} == {"right"}
    assert [c["name"] for c in data["categories"]] == ["Our people", f"People of {world.own.code}"]
    assert {n["category"] for n in ours} == {0} and {n["category"] for n in theirs} == {1}
    assert [b["tier"] for b in data["bands"]] == ["top", "middle", "operational"]


def test_relationship_health_opens_with_the_installation_default_not_one_day(world, login):
    """The page opened with "Stale after (days): 1" and flagged everyone as stale: the setting was never used."""
    head = DistributorPerson.objects.create(distributor=world.own, full_name="Dan Alfa", level="first_person")
    middle = DistributorPerson.objects.create(distributor=world.own, full_name="Mara Alfa", level="middle_manager")
    recent = timezone.localdate() - timedelta(days=30)
    Relationship.objects.create(person=head, manufacturer_user=world.user("executive"), manufacturer_level="top",
                                strength=4, last_interaction=recent)
    Relationship.objects.create(person=middle, manufacturer_user=world.user("channel_manager"),
                                manufacturer_level="middle", strength=3, last_interaction=recent)
    client = login(world.user("program_manager"))
    page = client.get(reverse("network:relationship_health"))
    assert page.context["stale_days"] == 180 and page.context["default_stale_days"] == 180
    row = next(r for r in page.context["rows"] if r["distributor"].pk == world.own.pk)
    assert row["flags"] == []
    assert 'value="180"' in page.content.decode()
    # A reader's own value is used …
    narrow = client.get(reverse("network:relationship_health"), {"stale_days": "10"})
    row = next(r for r in narrow.context["rows"] if r["distributor"].pk == world.own.pk)
    assert [f.code for f in row["flags"]] == ["only_stale"]
    # … and a bad one is refused with a message, the default kept.
    for bad in ("0", "-3", "abc", "2.5"):
        refused = client.get(reverse("network:relationship_health"), {"stale_days": bad})
        assert refused.context["stale_days"] == 180, bad
        assert "Enter a whole number of days, at least 1." in refused.content.decode(), bad


def test_relationship_health_default_follows_the_setting(world, login, settings):
    settings.RELATIONSHIP_STALE_DAYS = 45
    page = login(world.user("program_manager")).get(reverse("network:relationship_health"))
    assert page.context["stale_days"] == 45

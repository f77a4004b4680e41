"""Issue 22 (distributor page ≤ 5× bare): the page's row links (people, relationships, reviews, assessments) are
reversed once per page and link, not once per row (``{% url %}`` per row: 45 µs each)."""

import pytest
from django.urls import resolvers, reverse

from keychannel.network.tests.test_relationships import person, relate

pytestmark = pytest.mark.django_db


def _reversals(page, url) -> int:
    calls = []
    original = resolvers.URLResolver._reverse_with_prefix

    def counted(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    resolvers.URLResolver._reverse_with_prefix = counted
    try:
        answer = page.get(url)
    finally:
        resolvers.URLResolver._reverse_with_prefix = original
    assert answer.status_code == 200
    return len(calls)


def test_the_distributor_page_reverses_its_row_links_once(world, login):
    page = login(world.user("admin"))
    url = reverse("network:distributor_detail", args=[world.own.pk])
    relate(person(world.own, "first_person", "First"), world.user("executive"), "top")
    page.get(url)
    few = _reversals(page, url)
    for index in range(4):
        relate(person(world.own, "sales", f"Other {index}"), world.user("mentor"), "middle")
    html = page.get(url).content.decode()
    assert _reversals(page, url) == few
    from keychannel.network.models import DistributorPerson

    for p in DistributorPerson.objects.filter(distributor=world.own):  # every row still links its own pages
        assert reverse("network:person_update", args=[p.pk]) in html
        assert f'{reverse("network:relationship_create", args=[world.own.pk])}?person={p.pk}"' in html

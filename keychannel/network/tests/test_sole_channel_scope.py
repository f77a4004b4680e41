"""Issue 22 (the distributor page): its sole-channel cells read only the coverage rows on the territories their
leaves walk up through (the own territories, those above and those below them), not every distributor's rows on
the same product lines, a read that grew with the network. The cells are those the whole network's cells give."""

import random
from datetime import date

import pytest

from keychannel.network import selectors
from keychannel.network.choices import TerritoryLevel
from keychannel.network.models import Coverage, Territory
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

D = date(2026, 6, 1)


def _cover(distributor, territory, line, exclusive=False):
    return Coverage.objects.create(distributor=distributor, territory=territory, product_line=line,
                                   valid_from=date(2026, 1, 1), exclusive=exclusive)


def _tree():
    north, south = (TerritoryFactory(code=code, level=TerritoryLevel.REGION) for code in ("n", "s"))
    counties = [TerritoryFactory(code=f"k{i}", level=TerritoryLevel.COUNTY, parent=north if i < 2 else south)
                for i in range(4)]
    city = TerritoryFactory(code="c", level=TerritoryLevel.CITY, parent=counties[0])
    return north, south, counties, city


def test_only_the_coverage_on_the_walked_territories_is_read():
    north, south, counties, city = _tree()
    line = ProductLineFactory()
    own, below, above, elsewhere, other_region = (DistributorFactory(code=code) for code in "OBAEX")
    _cover(own, counties[0], line)
    _cover(below, city, line)
    _cover(above, north, line)
    _cover(elsewhere, counties[2], line)  # another region's county
    _cover(other_region, south, line)
    _cover(elsewhere, counties[1], line)  # a sibling county: its leaves are not under the own coverage
    territories = list(Territory.objects.all())
    scope = selectors._own_cells_scope(own, D, lambda: territories)
    assert {row.distributor_id for row in scope["coverages"]} == {own.pk, below.pk, above.pk}


def test_the_sole_cells_are_those_of_the_whole_network():
    north, south, counties, city = _tree()
    places = [north, south, *counties, city]
    lines = [ProductLineFactory() for _ in range(2)]
    dists = [DistributorFactory(code=f"d{i}") for i in range(5)]
    rng = random.Random(22)
    combos = [(d, place, line) for d in dists for place in places for line in lines]
    rng.shuffle(combos)
    for _ in range(6):
        for _ in range(3):
            _cover(*combos.pop(), exclusive=rng.random() < 0.3)
        every = selectors.coverage_cells(on_date=D)
        for distributor in dists:
            expected = sorted((c.territory.pk, c.product_line.pk) for c in every.values()
                               if c.state == "sole" and c.distributors[0].pk == distributor.pk)
            got = sorted((c.territory.pk, c.product_line.pk)
                         for c in selectors.sole_channel_cells(distributor=distributor, on_date=D))
            assert got == expected

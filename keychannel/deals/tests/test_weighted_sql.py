"""The weighted value the database computes (``deals.selectors.WEIGHTED``: forecasts, cockpits, goal metrics) equals
the deal's own ``weighted_value`` on both databases. SQLite stores a whole-number decimal as an integer, so
``value * probability / 100`` was integer division there: 1,004 at 60 % summed to 602 instead of 602.40."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from keychannel.deals import selectors
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value, probability", [("1004", 60), ("1004.00", 60), ("999.99", 33), ("7", 15), ("0", 50)])
def test_the_weighted_value_in_sql_is_the_deals_own(world, value, probability):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    deal = OpportunityFactory(client=client, owner=world.user("program_manager"), stage=Stage.PROPOSAL,
                              probability=probability, value=Decimal(value))
    deal.refresh_from_db()
    by_sql = Opportunity.objects.filter(pk=deal.pk).aggregate(weighted=Sum(selectors.WEIGHTED))["weighted"]
    assert Decimal(by_sql).quantize(Decimal("0.01")) == deal.weighted_value == (
        Decimal(value) * probability / 100).quantize(Decimal("0.01"))

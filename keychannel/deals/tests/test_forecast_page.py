"""The forecast by distributor, one page at a time (issue 22 part 1): the database groups, orders and pages the
roll-up and sums the totals in one statement, with the same rows, order, totals and count as building every row."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keychannel.core.scoping import Principal
from keychannel.deals import forecast
from keychannel.deals.choices import Stage
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db
WALKED = connection.vendor == "postgresql"  # the whole network's page: forecast._distributor_page_walked

# Codes that sort differently by locale than by code point, one the prefix of others: the label order ("code ·
# name", as Python sorts it) must be the database's too.
CODES = ["dx", "dx-1", "dx_2", "Dx9", "DX", "dx10", "a", "b-b", "zz", "Zz", "dx2", "m"]


def _network(world):
    territory = world.territory
    for i, code in enumerate(CODES):
        client = ClientFactory(distributor=DistributorFactory(code=code, legal_name=f"Distribuitor {i} SRL",
                                                              territory=territory), territory=territory)
        owner = world.user("program_manager")
        if i % 4 != 3:
            OpportunityFactory(client=client, owner=owner, stage=Stage.PROPOSAL, probability=60, value=Decimal(1000 + i))
        if i % 3 == 0:
            OpportunityFactory(client=client, owner=owner, stage=Stage.WON, probability=100, value=Decimal(500),
                               closed_on=timezone.localdate())
        if i % 5 == 0:
            OpportunityFactory(client=client, owner=owner, stage=Stage.LOST, probability=0, value=Decimal(700),
                               closed_on=timezone.localdate())
    # Direct deals (no distributor): the last row, "direct".
    OpportunityFactory(client=client, distributor=None, owner=world.user("program_manager"), stage=Stage.PROPOSAL,
                       probability=30, value=Decimal(333))
    # Only lost deals: no row.
    lost_only = ClientFactory(distributor=DistributorFactory(code="lost-only", territory=territory), territory=territory)
    OpportunityFactory(client=lost_only, owner=world.user("program_manager"), stage=Stage.LOST, probability=0,
                       closed_on=timezone.localdate())


def test_the_page_the_totals_and_the_count_come_from_one_statement(world):
    """Scenario (issue 22): the forecast by distributor built all 2,001 rows in Python (labels, sums, sort) to
    answer a page of 100. Now one statement answers the page, the count and the totals, the same as every row."""
    _network(world)
    admin = Principal.for_user(world.user("admin"))
    every = forecast.forecast(principal=admin, dimension="distributor")
    assert len(every) >= len(CODES) - 3 and not any(row["label"].startswith("lost-only") for row in every)
    assert every[-1]["label"] == "direct" and every[-1]["key"] == ""
    for limit, offset in [(100, 0), (5, 0), (5, 5), (3, 7), (1, len(every) - 1), (4, len(every) - 2)]:
        with CaptureQueriesContext(connection) as queries:
            rows, totals, count = forecast.forecast_table(principal=admin, dimension="distributor", filters={},
                                                           limit=limit, offset=offset)
        # PostgreSQL: the totals by stage, then the page walked off the distributors (_distributor_page_walked),
        # unless the page starts at the last row, direct sales, which the totals' statement gives.
        walked = 2 if offset < len(every) - 1 else 1
        assert len(queries.captured_queries) == (walked if WALKED else 1)
        assert not any("deals_opportunity" in q["sql"] for q in queries.captured_queries)
        assert rows == every[offset:offset + limit]
        assert totals == forecast.forecast_totals(every) and count == len(every)
    # Past the last row: no rows, the count and totals still (a second statement; walked: no walk).
    with CaptureQueriesContext(connection) as queries:
        rows, totals, count = forecast.forecast_table(principal=admin, dimension="distributor", filters={},
                                                       limit=10, offset=len(every) + 5)
    assert (rows, totals, count) == ([], forecast.forecast_totals(every), len(every))
    assert len(queries.captured_queries) == (1 if WALKED else 2)


def test_a_filtered_page_and_an_empty_one(world):
    _network(world)
    admin = Principal.for_user(world.user("admin"))
    rows, totals, count = forecast.forecast_table(principal=admin, dimension="distributor",
                                                   filters={"distributor_q": "dx"}, limit=50, offset=0)
    every = forecast.forecast(principal=admin, dimension="distributor", filters={"distributor_q": "dx"})
    assert rows == every and count == len(every) > 0 and totals == forecast.forecast_totals(every)
    rows, totals, count = forecast.forecast_table(principal=admin, dimension="distributor",
                                                   filters={"distributor_q": "no such distributor"}, limit=50, offset=3)
    assert (rows, count) == ([], 0)
    assert totals == {"open_count": 0, "pipeline": Decimal("0.00"), "weighted": Decimal("0.00"), "won_count": 0,
                      "won": Decimal("0.00")}


def test_the_api_answers_the_same_body_as_building_every_row(world, api_as, monkeypatch):
    """The endpoint's body is the same with the one-statement page as when every row is built from the roll-up in
    Python (``forecast``) and the page cut from them, as before."""
    _network(world)
    api = api_as(world.user("admin"))
    urls = ["/api/v1/forecast?by=distributor", "/api/v1/forecast?by=distributor&limit=4&offset=3",
            "/api/v1/forecast?by=distributor&offset=500"]
    paged = [api.get(url).content for url in urls]
    admin = Principal.for_user(world.user("admin"))

    def every_row(filters, *, limit, offset):
        rows = forecast.forecast(principal=admin, dimension="distributor", filters=filters)
        return forecast.forecast_page(rows, limit=limit, offset=offset), forecast.forecast_totals(rows), len(rows)

    monkeypatch.setattr(forecast, "_distributor_page_from_rollup", every_row)
    monkeypatch.setattr(forecast, "_distributor_page_walked", lambda *, limit, offset: every_row({}, limit=limit,
                                                                                               offset=offset))
    assert [api.get(url).content for url in urls] == paged


@pytest.mark.postgres_suite  # a PostgreSQL plan: make test-sqlite deselects it
def test_on_postgresql_the_page_is_walked_off_the_distributors_not_grouped_from_every_roll_up_row(world):
    """Issue 22: the page grouped every roll-up row by distributor (14,007 rows into 2,001 groups at full size),
    joined the distributors and summed the totals in window functions: 11.5 ms, growing with the network. Now
    the distributors are sorted by code and each one's few roll-up rows are read through the distributor index
    until the page is full; the totals are a sum by stage."""
    _network(world)
    admin = Principal.for_user(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        forecast.forecast_table(principal=admin, dimension="distributor", filters={}, limit=3, offset=0)
    page = queries.captured_queries[-1]["sql"]
    assert "LATERAL" in page
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # the test's roll-up is tiny: ask for the plan of a large one
        cursor.execute("EXPLAIN " + page)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "Nested Loop" in plan and "HashAggregate" not in plan and "WindowAgg" not in plan, plan
    assert plan.splitlines()[0].startswith("Limit"), plan

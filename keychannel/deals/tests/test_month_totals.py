"""The whole network's forecast by month and lost reasons from the network's months (issue 22; deals/month_totals.py):
the same rows, byte for byte, as grouping the deals, without reading a deal; everyone else still counted live."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.core.scoping import Principal
from keychannel.deals import forecast, month_totals, rollups
from keychannel.deals.choices import LostReason, Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db

DAYS = [datetime.date(2025, 11, 30), datetime.date(2025, 12, 1), datetime.date(2026, 1, 15),
        datetime.date(2026, 1, 31), datetime.date(2026, 3, 2)]
OPEN = [(Stage.DISCUSSION, 10), (Stage.PROPOSAL, 60), (Stage.NEGOTIATION, 80)]
FILTERS = [{}, {"from_month": "2025-12"}, {"to_month": "2026-01"}, {"from_month": "2026-01", "to_month": "2026-01"},
           {"from_month": "2027-01"}]


def _network(world):
    """Deals of several distributors (different shards) and direct ones: open with an expected close day or none,
    won and lost on several days (with several reasons), values with cents."""
    owner = world.user("program_manager")
    clients = [ClientFactory(distributor=DistributorFactory(territory=world.territory), territory=world.territory)
               for _ in range(3)]
    reasons = [LostReason.BUDGET, LostReason.OTHER, LostReason.BUDGET]
    for i, day in enumerate(DAYS * 2):
        client = clients[i % 3]
        distributor = None if i % 4 == 3 else client.distributor
        stage, probability = OPEN[i % 3]
        OpportunityFactory(client=client, distributor=distributor, owner=owner, stage=stage, probability=probability,
                           value=Decimal("1000.15") * (i + 1), expected_close_on=day if i % 5 else None)
        OpportunityFactory(client=client, distributor=distributor, owner=owner, stage=Stage.WON, probability=100,
                           value=Decimal("333.33") + i, closed_on=day)
        OpportunityFactory(client=client, distributor=distributor, owner=owner, stage=Stage.LOST, probability=0,
                           value=Decimal("70.07") * i, closed_on=day if i % 4 else None,
                           lost_reason_code=reasons[i % 3])


def _reads_no_deal(queries) -> bool:
    return not any("deals_opportunity" in q["sql"] for q in queries.captured_queries)


def test_the_whole_networks_forecast_by_month_is_the_deals_grouped_without_reading_a_deal(world):
    """Scenario (issue 22): the admin's forecast by month grouped all 300,000 deals on every request (126 ms, 31×
    the bare request, growing with the data). Now it sums the network's month rows: the same rows and totals."""
    _network(world)
    admin = Principal.for_user(world.user("admin"))
    for filters in FILTERS:
        counted = forecast.forecast_counted(principal=admin, dimension="month", filters=dict(filters))
        with CaptureQueriesContext(connection) as queries:
            rows = forecast.forecast(principal=admin, dimension="month", filters=filters)
        assert rows == counted, filters
        assert repr(rows) == repr(counted)  # the same decimals, to the digit
        assert len(queries.captured_queries) == 1 and _reads_no_deal(queries)
    assert any(row["key"] == "" for row in forecast.forecast(principal=admin, dimension="month"))  # no close day


def test_the_whole_networks_lost_reasons_are_the_lost_deals_grouped_without_reading_a_deal(world):
    _network(world)
    admin = Principal.for_user(world.user("admin"))
    for filters in FILTERS:
        with CaptureQueriesContext(connection) as queries:
            rows = forecast.lost_reasons(principal=admin, filters=filters)
        assert _reads_no_deal(queries)
        counted = forecast.lost_counted(principal=admin, filters=dict(filters))
        assert sorted((r["code"], r["count"], r["value"]) for r in rows) == sorted(
            (r["lost_reason_code"], r["n"], Decimal(r["value"]).quantize(Decimal("0.01"))) for r in counted), filters
    assert sum(r["count"] for r in forecast.lost_reasons(principal=admin)) == Opportunity.objects.filter(
        stage=Stage.LOST).count()


def test_a_filter_the_months_do_not_key_and_a_distributors_people_are_counted_live(world):
    _network(world)
    admin = Principal.for_user(world.user("admin"))
    own = ClientFactory(distributor=world.own, territory=world.territory)
    OpportunityFactory(client=own, owner=world.user("dist_sales"), stage=Stage.PROPOSAL, probability=60,
                       expected_close_on=DAYS[2])
    assert not forecast.months_serve(admin, {"distributor_id": str(world.own.pk)})
    assert not forecast.months_serve(admin, {"territory_id": str(world.territory.pk)})
    head = Principal.for_user(world.user("dist_head"))
    assert not forecast.months_serve(head, {})
    rows = forecast.forecast(principal=head, dimension="month")
    assert [(r["key"], r["open_count"]) for r in rows] == [("2026-01", 1)]  # only its own deal
    assert forecast.forecast(principal=admin, dimension="month", filters={"distributor_id": str(world.own.pk)}) == rows


def test_the_month_rows_follow_a_deals_expected_close_day_its_close_and_its_reason(world):
    """The keys the months add to the roll-up's: a change of the expected close day alone (a form, a queryset
    update) or of a lost deal's reason moves the deal from row to row."""
    _network(world)
    deal = Opportunity.objects.filter(stage=Stage.PROPOSAL).first()
    deal.expected_close_on = datetime.date(2030, 5, 5)
    deal.save()
    assert rollups.differences() == []
    Opportunity.objects.filter(stage=Stage.NEGOTIATION).update(expected_close_on=datetime.date(2031, 1, 1))
    Opportunity.objects.filter(stage=Stage.LOST).update(lost_reason_code=LostReason.PRICE)
    assert rollups.differences() == []
    month_totals.PipelineMonthTotal.objects.filter(stage=Stage.LOST).delete()
    assert rollups.differences() != []
    rollups.rebuild()
    assert rollups.differences() == []


def test_the_forecast_page_and_api_by_month_read_no_deal_for_the_admin(world, client):
    _network(world)
    client.force_login(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("deals:forecast"))
    assert page.status_code == 200 and _reads_no_deal(queries)


def test_the_data_migration_fills_the_month_rows_from_existing_deals(world):
    from importlib import import_module

    from django.apps import apps as django_apps

    _network(world)
    month_totals.PipelineMonthTotal.objects.all().delete()
    assert rollups.differences() != []
    import_module("keychannel.deals.migrations.0023_month_totals_fill").fill(django_apps, None)
    assert rollups.differences() == []


def test_the_forecast_page_types_the_distributor_of_a_network_wide_role_instead_of_listing_thousands(world, client):
    """Scenario (issue 22): the admin's forecast page read every distributor (2,000) to check the filter and drew
    each as an option: most of the page's time. Past the kanban's limit it is typed, as on the kanban, and a value
    is checked against its list only when given."""
    from keychannel.deals.views import DISTRIBUTOR_SELECT_MAX

    distributors = [DistributorFactory(code=f"fx{i:03d}", territory=world.territory)
                    for i in range(DISTRIBUTOR_SELECT_MAX + 1)]
    chosen = distributors[7]
    OpportunityFactory(client=ClientFactory(distributor=chosen, territory=world.territory),
                       owner=world.user("program_manager"), stage=Stage.PROPOSAL, probability=60, value=Decimal(5))
    client.force_login(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("deals:forecast")).content.decode()
    assert 'name="distributor_q"' in html and 'name="distributor_id"' not in html
    assert not any('FROM "network_distributor"' in q["sql"] and "LIMIT" not in q["sql"]
                   for q in queries.captured_queries)  # only counted up to the limit, never read
    typed = client.get(reverse("deals:forecast") + "?by=distributor&distributor_q=FX007")
    assert typed.context["filters"] == {"distributor_q": "FX007"}
    assert [row["key"] for row in typed.context["rows"]] == [str(chosen.pk)]
    linked = client.get(reverse("deals:forecast") + f"?by=distributor&distributor_id={chosen.pk}")
    assert linked.context["filters"] == {"distributor_id": str(chosen.pk)}
    assert 'value="fx007"' in linked.content.decode()  # shown by its code, which means it when sent again
    assert client.get(reverse("deals:forecast") + "?distributor_id=999999").context["filters"] == {}
    client.force_login(world.user("dist_head"))  # a few distributors: still a list
    html = client.get(reverse("deals:forecast")).content.decode()
    assert 'name="distributor_id"' in html and 'name="distributor_q"' not in html

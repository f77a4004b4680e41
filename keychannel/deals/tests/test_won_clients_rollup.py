"""The won-clients roll-up (issue 22, deals/rollups.py): the distinct clients of the deals won from 1 January to a
day of that year are counted off it, equal to a live COUNT(DISTINCT client), on every path that wins or unwins a
deal; the rebuild command recounts it."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from keychannel.core.cockpit import one_build
from keychannel.core.scoping import Principal
from keychannel.deals import rollups, services, won_rollups
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity, WonClientRollup, WonDayRollup
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.deals.won import won_figures
from keychannel.network.models import Coverage

pytestmark = pytest.mark.django_db
D = datetime.date
START, END = D(2026, 1, 1), D(2026, 12, 31)


@pytest.fixture
def deals(world):
    for distributor in (world.own, world.other):
        Coverage.objects.create(distributor=distributor, territory=world.territory, product_line=world.product_line,
                                valid_from=D(2020, 1, 1))
    a = ClientFactory(distributor=world.own, territory=world.territory)
    b = ClientFactory(distributor=world.own, territory=world.territory)
    c = ClientFactory(distributor=world.other, territory=world.territory)
    owner = world.user("program_manager")

    def won(client, distributor, day, value="100"):
        return OpportunityFactory(client=client, distributor=distributor, owner=owner, stage=Stage.WON,
                                  probability=100, closed_on=day, value=Decimal(value))

    won(a, world.own, D(2026, 2, 1))
    won(a, world.other, D(2026, 3, 1))  # one client, two distributors
    won(a, None, D(2025, 12, 31))  # direct, the year before
    won(b, world.own, D(2026, 1, 5))
    won(b, world.own, D(2026, 5, 5))  # the same client again
    won(c, world.other, D(2026, 7, 1))
    won(c, None, D(2026, 4, 1))
    OpportunityFactory(client=c, owner=owner, stage=Stage.LOST, closed_on=D(2026, 2, 2))
    return world


def _live(distributor_ids, start, end, figure=None):
    qs = Opportunity.objects.filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=end)
    if distributor_ids is not None:
        qs = qs.filter(distributor_id__in=distributor_ids)
    return qs.aggregate(n=figure or Count("client", distinct=True))["n"]


def _live_grouped(start, end, figure=None):
    rows = (Opportunity.objects.filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=end).order_by()
            .values("distributor_id").annotate(n=figure or Count("client", distinct=True)))
    return {r["distributor_id"]: r["n"] for r in rows}


@pytest.mark.parametrize("until", [D(2026, 1, 4), D(2026, 2, 15), D(2026, 4, 1), D(2026, 12, 31)])
def test_the_year_s_clients_come_off_the_rollup_and_equal_a_live_count(deals, until):
    world = deals
    for ids in (None, {world.own.pk}, {world.own.pk, world.other.pk}):
        with CaptureQueriesContext(connection) as ctx:
            figures = won_figures(ids, START, END, until=until)
        assert figures["clients"] == _live(ids, START, END)
        assert figures["until"]["clients"] == _live(ids, START, until)
        for figure, live in (("count", Count("pk")), ("value", Sum("value"))):
            assert figures[figure] == (_live(ids, START, END, live) or 0)
            assert figures["until"][figure] == (_live(ids, START, until, live) or 0)
        # not counted over the year's won deals (two COUNT(DISTINCT client)): it grew with the data
        assert not [q for q in ctx.captured_queries if "deals_opportunity" in q["sql"]]
    grouped = won_figures(None, START, until, grouped=True)
    assert {pk: row["clients"] for pk, row in grouped.items()} == _live_grouped(START, until)
    assert {pk: row["count"] for pk, row in grouped.items()} == _live_grouped(START, until, Count("pk"))
    grouped = won_figures({world.own.pk, world.other.pk}, START, END, grouped=True)
    assert {pk: row["clients"] for pk, row in grouped.items()} == {
        pk: n for pk, n in _live_grouped(START, END).items() if pk is not None}


def test_a_period_the_rollup_cannot_answer_is_counted_from_the_deals(deals):
    for start, end in ((D(2026, 2, 1), D(2026, 6, 30)), (D(2025, 12, 1), D(2026, 3, 31))):
        assert won_figures(None, start, end, until=end)["clients"] == _live(None, start, end)


def test_the_cockpit_figure_and_the_goal_read_the_rollup_once_per_build(deals):
    with one_build(), CaptureQueriesContext(connection) as ctx:
        won_figures(None, START, END, until=D(2026, 3, 1))
        won_figures(None, START, END, until=D(2026, 3, 1))
    assert len(ctx.captured_queries) == 1  # the won days' sums of the year, to the day and to its end


def test_winning_unwinning_moving_and_deleting_deals_keep_the_rollup_equal_to_a_recount(deals):
    world = deals
    principal = Principal.for_user(world.user("program_manager"))
    client = ClientFactory(distributor=world.own, territory=world.territory)
    deal = services.opportunity_create(principal=principal, client=client, distributor=world.own,
                                       owner=world.user("program_manager"), title="Compressors", value=Decimal("900"),
                                       product_lines=[world.product_line])
    for stage in (Stage.PROPOSAL, Stage.WON):
        deal = services.opportunity_move(principal=principal, opportunity=deal, stage=stage,
                                         gate_override_reason="Checked by the program office.",
                                         test_override_reason="Accepted on the reference plant.")
    deal.refresh_from_db()
    assert deal.stage == Stage.WON
    assert WonClientRollup.objects.get(client=client, network=True, year=deal.closed_on.year).deal_count == 1
    assert rollups.differences() == []
    # the bulk paths (a queryset update, an import's bulk_create) and deletes
    Opportunity.objects.filter(client=client).update(closed_on=D(2026, 1, 1))
    assert rollups.differences() == []
    Opportunity.objects.filter(stage=Stage.WON, distributor=world.other).update(distributor=world.own)
    assert rollups.differences() == []
    Opportunity.objects.filter(pk=deal.pk).update(client=deals_client(world))
    assert rollups.differences() == []
    Opportunity.objects.bulk_create([Opportunity(
        title="Imported", client=client, distributor=None, owner=world.user("program_manager"), value=Decimal("5"),
        volume=Decimal("1"), stage=Stage.WON, probability=100, closed_on=D(2026, 8, 8))])
    assert rollups.differences() == []
    Opportunity.objects.filter(stage=Stage.WON).update(stage=Stage.NEGOTIATION, probability=80)  # unwon
    assert rollups.differences() == []
    assert not WonClientRollup.objects.filter(deal_count__gt=0).exists()
    Opportunity.objects.filter(stage=Stage.NEGOTIATION).update(stage=Stage.WON)
    Opportunity.objects.filter(client=client).delete()
    assert rollups.differences() == []


def deals_client(world):
    return ClientFactory(distributor=world.own, territory=world.territory)


def test_rebuild_command_recounts_the_won_clients_and_check_finds_a_wrong_row(deals):
    call_command("rollups_rebuild", "--check")
    WonClientRollup.objects.filter(network=True, year=2026).update(first_won_on=D(2026, 12, 1))
    with pytest.raises(CommandError, match="roll-up row"):
        call_command("rollups_rebuild", "--check")
    call_command("rollups_rebuild")
    call_command("rollups_rebuild", "--check")
    assert won_rollups.differences() == []


def test_the_data_migration_fills_the_won_clients(deals):
    from importlib import import_module

    from django.apps import apps as django_apps

    WonClientRollup.objects.all().delete()
    WonDayRollup.objects.all().delete()
    assert won_rollups.differences() != []
    import_module("keychannel.deals.migrations.0019_won_rollups_fill").fill(django_apps, None)
    assert won_rollups.differences() == []


def test_deleting_several_won_deals_of_one_client_at_once_leaves_none_counted(deals):
    # A queryset delete sends every deal's pre_delete before it deletes any: a recount there still saw the others.
    world = deals
    client = ClientFactory(distributor=world.own, territory=world.territory)
    for day in (D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)):
        OpportunityFactory(client=client, owner=world.user("program_manager"), stage=Stage.WON, probability=100,
                           closed_on=day)
    Opportunity.objects.filter(client=client).delete()
    assert rollups.differences() == []
    assert not WonClientRollup.objects.filter(client=client, deal_count__gt=0).exists()


def test_the_rebuild_counts_the_won_deals_once_both_tables_are_locked(deals):
    """Found in review (wave 13): the rebuild counted the won clients before its transaction (a win committed
    meanwhile was lost from the client rows until the next rebuild), and locked the tables in a mode a writer's
    ``SELECT … FOR UPDATE`` of the client rows passes (a deadlock with that writer's next UPDATE). Now both tables
    are locked EXCLUSIVE, clients then days (the writers' order), and the won deals counted inside."""
    with CaptureQueriesContext(connection) as queries:
        won_rollups.rebuild()
    statements = [q["sql"] for q in queries.captured_queries]
    begun = next(i for i, sql in enumerate(statements) if sql.startswith("SAVEPOINT"))
    counts = [i for i, sql in enumerate(statements) if 'FROM "deals_opportunity"' in sql]
    assert counts and min(counts) > begun, statements
    if connection.vendor == "postgresql":
        locks = [(i, sql) for i, sql in enumerate(statements) if sql.startswith("LOCK TABLE")]
        assert [sql for _, sql in locks] == ['LOCK TABLE "deals_wonclientrollup" IN EXCLUSIVE MODE',
                                             'LOCK TABLE "deals_wondayrollup" IN EXCLUSIVE MODE']
        assert locks[-1][0] < min(counts)
    assert won_rollups.differences() == []

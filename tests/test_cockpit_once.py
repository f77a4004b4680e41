"""Issue 22, the home pages: a figure several panels show is read once per request (core.cockpit ``once``): the
pipeline roll-up's network totals, the deals won in a period (count, distinct clients, value, and those closed by
today, in one statement shared by the "won this year" panel and the goals), the goals' tree, and the counts a home
figure and a panel both show. Statement counts and shapes, never wall-clock; the figures equal a recount; nothing
is kept past the request, and a count scoped to its reader never serves another principal."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keychannel.core.cockpit import once, one_build, registered_panels
from keychannel.core.scoping import Principal
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.deals.won import won_figures
from keychannel.program.choices import GoalLevel
from keychannel.program.models import Goal
from tests.cockpit_data import add_goals, busy, home_html, home_requests

pytestmark = pytest.mark.django_db

NETWORK_ROLES = ["admin", "program_manager", "executive"]
ALL_ROLES = [*NETWORK_ROLES, "channel_manager", "dist_head", "dist_sales", "embedded_kam", "mentor"]
GOAL_METRICS = ("won_contracts", "new_key_accounts", "weighted_pipeline", "corporate_revenue")


def _won(world, side, closed_on, value="1000", client=None):
    client = client or ClientFactory(distributor=world.distributor("own" if side == "direct" else side),
                                     territory=world.territory)
    return OpportunityFactory(client=client, distributor=None if side == "direct" else client.distributor,
                              owner=world.user("program_manager"), stage=Stage.WON, probability=100,
                              closed_on=closed_on, value=Decimal(value))


@pytest.fixture
def goals_world(world):
    """The busy world with program- and distributor-level goals on every metric a network cockpit reads twice, and
    won deals this year (before and after today, one client winning twice), last year and by the direct channel."""
    busy(world)
    add_goals(world, GOAL_METRICS)
    today = timezone.localdate()
    year_start, year_end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    twice = _won(world, "own", year_start, "2500.50").client
    _won(world, "own", today, "700", client=twice)
    _won(world, "other", today, "900")
    _won(world, "direct", today, "300")
    _won(world, "other", year_end, "5000")  # closed later this year: in the year's goals, not in "won to today"
    _won(world, "own", year_start - datetime.timedelta(days=1), "8000")  # last year
    return world


@pytest.mark.parametrize("role", NETWORK_ROLES)
def test_a_network_cockpit_reads_the_pipeline_and_the_won_deals_once(goals_world, login, role):
    # Before: the pipeline roll-up's network totals were read by the home figure, the won panel, the pipeline
    # cover and the weighted-pipeline goal (4 statements); the year's won deals by the panel and by each of the
    # two goal metrics (3 aggregates over the deals).
    # Since issue 22's lazy panels each panel (and the figures) is its own request: "once" holds per request.
    requests = home_requests(login(goals_world.user(role)))
    for statements in requests:
        network_pipeline = [sql for sql in statements if 'FROM "deals_pipelinestagetotal"' in sql
                            or ('FROM "deals_pipelinerollup"' in sql and '"distributor_id" IN' not in sql)]
        assert len(network_pipeline) <= 1, network_pipeline
        # (the year's won deals are summed off the won days' roll-up, deals/won_rollups.py, not counted over deals)
        assert not [sql for sql in statements if 'FROM "deals_opportunity"' in sql and '"closed_on" >=' in sql
                    and "COUNT(" in sql]
        won_totals = [sql for sql in statements if 'FROM "deals_wondayrollup"' in sql and "GROUP BY" not in sql]
        assert len(won_totals) <= 1, won_totals
        won_grouped = [sql for sql in statements if 'FROM "deals_wondayrollup"' in sql and "GROUP BY" in sql]
        assert len(won_grouped) <= 1, won_grouped
    every = [sql for statements in requests for sql in statements]
    # (the network's pipeline: its per-stage rows, deals/stage_totals.py, not every distributor's roll-up rows)
    assert any('FROM "deals_pipelinestagetotal"' in sql for sql in every)
    assert not [sql for sql in every if 'FROM "deals_pipelinerollup"' in sql and '"distributor_id" IN' not in sql
                and "GROUP BY" not in sql]
    assert any('FROM "deals_wondayrollup"' in sql for sql in every)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_no_cockpit_repeats_a_statement(goals_world, login, role):
    # The counts a home figure and a panel both show (registrations to decide, open conflicts) and the goals' tree
    # that two panels walk are read once.
    for statements in home_requests(login(goals_world.user(role))):  # the shell, then each lazy part
        repeated = {sql: n for sql, n in Counter(statements).items() if n > 1}
        assert not repeated, repeated


def _live_won(start, end, distributor_ids=None):
    qs = Opportunity.objects.filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=end)
    if distributor_ids is not None:
        qs = qs.filter(distributor_id__in=distributor_ids)
    row = qs.aggregate(count=Count("pk"), clients=Count("client", distinct=True), value=Sum("value"))
    return {"count": row["count"], "clients": row["clients"], "value": Decimal(row["value"] or 0)}


def test_the_won_figures_shown_equal_a_count_of_the_deals(goals_world):
    from keychannel.core.cockpit import money
    from keychannel.deals.cockpit_panels import cockpit_won_this_year
    from keychannel.program.selectors import goal_progress

    today = timezone.localdate()
    year_start, year_end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    principal = goals_world.principal("admin")
    to_today, year = _live_won(year_start, today), _live_won(year_start, year_end)
    assert to_today != year or today == year_end  # the fixture has a deal won later this year
    mine = [f"{who} {metric}" for who in ("Network", "own", "other") for metric in ("won_contracts", "new_key_accounts")]
    goals = list(Goal.objects.filter(name__in=mine))
    assert len(goals) == 6
    for inside in (True, False):  # read once inside a cockpit, live outside: the same figures
        with one_build() if inside else _nothing():
            figures = cockpit_won_this_year(principal, today).figures
            progress = {p.goal.pk: p.actual for p in goal_progress(goals, on=today)}
        assert figures[0].value == money(to_today["value"]) and str(to_today["count"]) in figures[0].detail
        assert figures[1].value == str(to_today["clients"])
        for goal in goals:
            ids = None if goal.level == GoalLevel.PROGRAM else [goal.distributor_id]
            live = _live_won(goal.starts_on, goal.ends_on, ids)
            assert progress[goal.pk] == live["count" if goal.metric == "won_contracts" else "clients"], goal.name


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_nothing_is_kept_past_the_request(goals_world, login):
    # A deal won between two requests shows on the next one: ``once`` keeps figures for one request only.
    client = login(goals_world.user("admin"))

    def shown():
        return home_html(client)

    today = timezone.localdate()
    before = _live_won(datetime.date(today.year, 1, 1), today)
    assert money_in(before["value"]) in shown()
    _won(goals_world, "own", today, "123456")
    after = _live_won(datetime.date(today.year, 1, 1), today)
    assert after["value"] == before["value"] + Decimal("123456")
    assert money_in(after["value"]) in shown()
    calls = []
    assert once(("k",), lambda: calls.append(1) or len(calls)) == 1
    assert once(("k",), lambda: calls.append(1) or len(calls)) == 2  # outside a cockpit: computed every time
    with one_build():
        assert once(("k",), lambda: calls.append(1) or len(calls)) == 3
        assert once(("k",), lambda: calls.append(1) or len(calls)) == 3


def money_in(value) -> str:
    from keychannel.core.cockpit import money

    return money(value)


def test_a_count_read_once_never_serves_another_principal(goals_world):
    # The home figure and the panel share one count per principal; a distributor head never gets the network's or
    # the other distributor's count, even inside one build.
    from keychannel.channel.models import Conflict, DealRegistration
    from keychannel.channel.selectors import open_conflict_count, pending_decision_count

    readers = [goals_world.principal("admin"), goals_world.principal("dist_head"),
               goals_world.principal("channel_manager")]
    with one_build():
        for _ in range(2):
            for principal in readers:
                assert pending_decision_count(principal) == DealRegistration.objects.visible_to(principal).filter(
                    status="pending").count()
                assert open_conflict_count(principal) == Conflict.objects.visible_to(principal).open().count()
        counts = {pending_decision_count(p) for p in readers[:2]}
    assert len(counts) == 2, counts  # the network's and the head's differ in this world


when = st.integers(min_value=-400, max_value=400)
deal = st.tuples(st.sampled_from(["own", "other", "direct"]), st.integers(min_value=0, max_value=3),
                 st.sampled_from([Stage.WON, Stage.WON, Stage.LOST, Stage.NEGOTIATION]), when,
                 st.integers(min_value=0, max_value=10_000_00))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(deals=st.lists(deal, max_size=12), start=when, length=st.integers(min_value=0, max_value=500), until=when)
def test_the_won_figures_equal_a_recount(world, deals, start, length, until):
    # Property: one statement (with the "closed by" figures and grouped by distributor) gives what counting the
    # deals one by one gives, on SQLite and on PostgreSQL.
    Opportunity.objects.all().delete()
    today = timezone.localdate()
    clients = {}
    for side, client_no, stage, offset, cents in deals:
        key = ("own" if side == "direct" else side, client_no)
        if key not in clients:
            clients[key] = ClientFactory(distributor=world.distributor(key[0]), territory=world.territory)
        OpportunityFactory(client=clients[key], distributor=None if side == "direct" else clients[key].distributor,
                           owner=world.user("program_manager"), stage=stage, closed_on=today + datetime.timedelta(offset),
                           value=Decimal(cents) / 100, probability=100 if stage == Stage.WON else 10)
    start_on = today + datetime.timedelta(start)
    end_on, until_on = start_on + datetime.timedelta(length), today + datetime.timedelta(until)
    rows = list(Opportunity.objects.values_list("distributor_id", "client_id", "stage", "closed_on", "value"))

    def recount(ids, last):
        won = [r for r in rows if r[2] == Stage.WON and start_on <= r[3] <= min(end_on, last)
               and (ids is None or r[0] in ids)]
        return {"count": len(won), "clients": len({r[1] for r in won}),
                "value": sum((Decimal(r[4]) for r in won), Decimal(0))}

    with one_build():
        total = won_figures(None, start_on, end_on, until=until_on)
        mine = won_figures([world.own.pk], start_on, end_on, until=until_on)
        grouped = won_figures([world.own.pk, world.other.pk], start_on, end_on, grouped=True)
    assert {k: total[k] for k in ("count", "clients", "value")} == recount(None, end_on)
    assert total["until"] == recount(None, until_on)
    assert {k: mine[k] for k in ("count", "clients", "value")} == recount({world.own.pk}, end_on)
    for distributor in (world.own, world.other):
        expected = recount({distributor.pk}, end_on)
        assert grouped.get(distributor.pk, {"count": 0, "clients": 0, "value": Decimal(0)}) == expected


@pytest.mark.parametrize("role", ["channel_manager", "mentor", "embedded_kam"])
def test_a_reach_reads_its_open_deals_off_the_rollup_with_the_same_figure(goals_world, monkeypatch, role):
    # The channel manager's "open deals you can see" counted up to 10,001 deals of ~1,000 distributors at full size;
    # now the roll-up of their distributors plus their own mentored or assigned deals elsewhere: the same figure,
    # and "10,000+" past the cap exactly when the count of the deals they see is past it.
    from keychannel.core.cockpit import money
    from keychannel.core.pagination import BoundedPagination
    from keychannel.deals import selectors
    from keychannel.deals.selectors import opportunity_count

    monkeypatch.setattr(selectors, "ROLLUP_REACH_MIN", 0)  # the world's reach of one distributor counts as large
    principal = goals_world.principal(role)
    user = goals_world.user(role)
    elsewhere = ClientFactory(distributor=goals_world.other, territory=goals_world.territory)
    for field in ("mentor", "kam"):  # deals they see outside their reach (other distributor, direct)
        OpportunityFactory(client=elsewhere, owner=goals_world.user("program_manager"), **{field: user})
        OpportunityFactory(client=elsewhere, distributor=None, owner=goals_world.user("program_manager"), **{field: user})
    OpportunityFactory(client=elsewhere, owner=goals_world.user("program_manager"), stage=Stage.WON, kam=user)
    live = Opportunity.objects.visible_to(principal).open().count()
    assert live >= 2
    with CaptureQueriesContext(connection) as captured:
        assert opportunity_count(principal) == live
    assert not [q["sql"] for q in captured.captured_queries
                if 'FROM "deals_opportunity"' in q["sql"] and "kam_id" not in q["sql"]]
    for cap in (live - 1, live, live + 1, 1):
        monkeypatch.setattr(BoundedPagination, "COUNT_CAP", cap)
        assert opportunity_count(principal) == (f"{money(cap)}+" if live > cap else live), cap


@pytest.mark.parametrize("role", NETWORK_ROLES)
def test_the_network_goals_panel_reads_no_goal_tree(goals_world, role):
    # Its goals are the network's (program level, at the top): no distributor below them is summed. Before: the
    # whole tree of the running programs was read for nothing (one statement of the panel's fragment).
    principal = Principal.for_user(goals_world.user(role))
    panels = {panel.key: panel for panel in registered_panels()}
    reads = {}
    for key in ("program.network_goals", "program.behind"):
        with one_build(), CaptureQueriesContext(connection) as ctx:
            content = panels[key].build(principal, timezone.localdate())
        assert content is not None
        reads[key] = [q["sql"] for q in ctx.captured_queries if 'FROM "program_goal"' in q["sql"]
                      and '"program_goal"."metric"' not in q["sql"].split(" FROM ")[0]]
    assert reads["program.network_goals"] == []
    # A distributor goal is a leaf of the cascade: its actual is its own distributor's (wave 11c: no tree either).
    assert reads["program.behind"] == []

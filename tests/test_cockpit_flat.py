"""Issue 22, wave 12: home parts that grew with the network read the same few rows at any size.

- A channel manager's reach (read on every request of theirs: each lazy part of their home) and their ranking's
  rows come in code order from one index alone, not a scan and sort of every distributor.
- Their "Open deals you can see" stops at the cap from a few hundred roll-up rows, not the sum of all of them.
- "Rules not yet acknowledged" reads its first distributors from the code index and counts the others against the
  distributors that acknowledged every rule, never grouping every distributor with its acknowledgements.

Statement shapes and plans, never wall-clock; the panels equal a recount (tests/test_cockpit*.py, the access
matrix: nobody sees more)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.core.cockpit import money
from keychannel.core.pagination import BoundedPagination
from keychannel.core.scoping import in_lookup
from keychannel.deals import selectors as deal_selectors
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import Distributor
from keychannel.network.selectors import distributors_managed_by
from keychannel.network.tests.factories import DistributorFactory
from keychannel.program.choices import RuleStatus
from keychannel.program.models import Acknowledgement, ProgramRule
from keychannel.program.tests.factories import build as program_data
from tests.cockpit_data import build_panel_sql, busy

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test database is a few rows: the planner would scan them whatever the indexes, or walk the code's
            # unique index and filter its few rows (never vacuumed, an index-only scan looks no cheaper). Without
            # those it must show whether one index answers the read alone, in order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


def _from_the_index_alone(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return "Index Only Scan using network_dist_manager_code" in plan and "Sort" not in plan
    # SQLite has no INCLUDE: its index holds the two columns (and the row id), still read in order.
    return "INDEX network_dist_manager_code" in plan and "TEMP B-TREE" not in plan


def test_a_channel_managers_reach_is_read_from_one_index_in_order(world):
    # Before: the foreign key's index (or a scan of every distributor) and a sort by code, on every request of a
    # channel manager: 1,000 of 2,000 rows at full size, 1.0-1.6 ms on the server, ten times the 0.1 network's.
    principal = world.principal("channel_manager")
    assert _from_the_index_alone(_plan(distributors_managed_by(principal))), _plan(distributors_managed_by(principal))
    # The ranking's rows (network/cockpit_selectors.my_distributors): the same index, its active ones by code.
    mine = (Distributor.objects.visible_to(principal).filter(channel_manager_id=principal.user_id, active=True)
            .order_by("code").values_list("pk", "code", "legal_name"))
    assert _from_the_index_alone(_plan(mine)), _plan(mine)


def test_the_channel_managers_open_deals_past_the_cap_stop_at_the_cap(world, monkeypatch):
    # Before: the roll-up rows of every distributor of the reach were summed (5,000 rows at full size, 4 ms), and the
    # deals elsewhere counted, to answer "10,000+". Now their running sum stops at the first row past the cap.
    busy(world)
    monkeypatch.setattr(deal_selectors, "ROLLUP_REACH_MIN", 0)  # the world's reach of one distributor counts as large
    principal = world.principal("channel_manager")
    client = ClientFactory(distributor=world.own, territory=world.territory)
    for _ in range(2):
        OpportunityFactory(client=client, distributor=world.own, owner=world.user("dist_sales"))
    live = Opportunity.objects.visible_to(principal).open().count()
    in_reach = Opportunity.objects.open().filter(distributor_id__in=in_lookup(principal.distributor_ids)).count()
    assert in_reach >= 2
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", in_reach - 1)
    with CaptureQueriesContext(connection) as captured:
        assert deal_selectors.opportunity_count(principal) == f"{money(in_reach - 1)}+"
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in sql if 'FROM "deals_opportunity"' in s], sql
    assert not [s for s in sql if 'SUM("deals_pipelinerollup"."deal_count") AS' in s], sql
    # Under the cap the figure is still exact.
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", live + 1)
    assert deal_selectors.opportunity_count(principal) == live


def _acknowledged_world(world):
    """Two published rules; the own distributor acknowledged one, a second distributor both, a third none."""
    busy(world)
    data = program_data(world)
    rules = list(ProgramRule.objects.filter(program=data["launched"], status=RuleStatus.PUBLISHED).order_by("pk"))
    assert len(rules) == 2
    done = DistributorFactory(code="all-done", legal_name="All done", territory=world.territory)
    DistributorFactory(code="zz-none", legal_name="None yet", territory=world.territory)
    user = world.user("program_manager")
    Acknowledgement.objects.create(rule=rules[0], distributor=world.own, acknowledged_by=user)
    for rule in rules:
        Acknowledgement.objects.create(rule=rule, distributor=done, acknowledged_by=user)
    return rules


def _recount(principal, rules):
    behind = []
    for distributor in Distributor.objects.visible_to(principal).filter(active=True).order_by("code"):
        if not principal.reaches(distributor.pk):
            continue
        given = Acknowledgement.objects.filter(distributor=distributor, rule__in=rules).count()
        if given < len(rules):
            behind.append((distributor.legal_name, distributor.code, len(rules) - given))
    return behind


@pytest.mark.parametrize("role", ["program_manager", "channel_manager"])
def test_rules_not_acknowledged_never_group_every_distributor(world, role):
    # Before: every active distributor joined and grouped with its acknowledgements, twice (the first rows, then
    # the count): 2 x 2,000 rows at full size. Now the first rows in code order and a count against the few that
    # acknowledged every rule.
    rules = _acknowledged_world(world)
    principal = world.principal(role)
    content, sql = build_panel_sql(principal, "program.acknowledgements")
    assert not [s for s in sql if 'GROUP BY "network_distributor"' in s], sql
    expected = _recount(principal, rules)
    assert [(i.label, i.detail, i.badge.split(" ")[0]) for i in content.items] == [
        (name, code, str(left)) for name, code, left in expected[:8]]
    assert (content.total or len(content.items)) == len(expected)
    assert "all-done" not in {i.detail for i in content.items}

"""Issue 22, the home pages at full size: the network cockpits read the corporate revenue off the sales roll-up (not
the sales lines), and the channel manager's cockpit selects their distributors by subquery (not 1,000 literal ids)
without changing a figure. Statement counts and shapes, never wall-clock."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keychannel.program.choices import GoalLevel
from keychannel.program.models import Goal, Program
from keychannel.sales.models import SalesLine, SalesReport
from tests.cockpit_data import busy, home_html, home_requests, home_statements

pytestmark = pytest.mark.django_db


@pytest.fixture
def revenue_world(world):
    """The busy world with a yearly corporate-revenue goal and applied sales this year (and a superseded report)."""
    busy(world)
    program = Program.objects.get(name="Key accounts 2026")
    Goal.objects.create(program=program, level=GoalLevel.PROGRAM, name="Revenue", metric="corporate_revenue",
                        target=Decimal("900000"), starts_on=program.starts_on, ends_on=program.ends_on)
    for side in ("own", "other"):
        Goal.objects.create(program=program, level=GoalLevel.DISTRIBUTOR, name=f"Revenue {side}",
                            distributor=world.distributor(side), metric="corporate_revenue",
                            target=Decimal("450000"), starts_on=program.starts_on, ends_on=program.ends_on)
    client = SalesLine._meta.get_field("client").related_model.objects.filter(distributor=world.own).first()
    year = timezone.localdate().year
    for n, (status, amount) in enumerate((("applied", "125000.50"), ("superseded", "999999"))):
        report = SalesReport.objects.create(distributor=world.own, period=date(year, 1 + n, 1), file_name=f"{n}.csv",
                                            file_hash=f"{n:064d}", status=status, applied_at=timezone.now())
        SalesLine.objects.create(report=report, distributor=world.own, client=client,
                                 product_line=world.product_line, date=date(year, 1 + n, 10), quantity=1,
                                 amount=Decimal(amount))
    return world


@pytest.mark.parametrize("role", ["admin", "program_manager", "executive"])
def test_a_network_cockpit_reads_the_revenue_off_the_sales_rollup(revenue_world, login, role):
    statements = home_statements(login(revenue_world.user(role)))
    assert not [sql for sql in statements if 'FROM "sales_salesline"' in sql]
    assert any('FROM "sales_salesrollup"' in sql for sql in statements)


def test_the_revenue_goal_shown_equals_a_count_of_the_applied_lines(revenue_world, login):
    from keychannel.program.selectors import goal_progress

    goals = list(Goal.objects.filter(metric="corporate_revenue"))
    progress = {p.goal.name: p.actual for p in goal_progress(goals, on=timezone.localdate())}
    assert progress == {"Revenue": Decimal("125000.50"), "Revenue own": Decimal("125000.50"),
                        "Revenue other": Decimal("0")}
    page = home_html(login(revenue_world.user("executive")))
    assert re.search(r"125[.,]001|125[.,]000", page)  # the money format of the goal's actual


def _page_without_tokens(client) -> str:
    html = home_html(client)
    return re.sub(r"[A-Za-z0-9]{64}|nonce=\"[^\"]*\"", "", html)  # CSRF tokens and CSP nonces change per response


@pytest.mark.parametrize("role", ["channel_manager", "mentor", "dist_head"])
def test_a_reach_by_subquery_shows_the_same_cockpit_in_as_many_statements(revenue_world, login, settings, role):
    client = login(revenue_world.user(role))
    settings.KEYCHANNEL_REACH_INLINE_MAX = 10**6  # every reach as literal ids
    literal, literal_html = home_statements(client), _page_without_tokens(client)
    settings.KEYCHANNEL_REACH_INLINE_MAX = 0  # every reach a provider gives as a QuerySet: by subquery
    by_subquery, subquery_html = home_statements(client), _page_without_tokens(client)
    assert subquery_html == literal_html
    assert len(by_subquery) == len(literal), (len(literal), len(by_subquery))
    if role == "channel_manager":
        managed = f'"channel_manager_id" = {revenue_world.user(role).pk}'
        assert sum(1 for sql in by_subquery if managed in sql) > sum(1 for sql in literal if managed in sql) + 5


def test_the_channel_managers_ranking_selects_its_distributors_by_subquery(revenue_world, settings):
    from keychannel.core.cockpit import attention_for
    from keychannel.core.scoping import IdSet
    from keychannel.network.models import Distributor

    settings.KEYCHANNEL_REACH_INLINE_MAX = 0
    principal = revenue_world.principal("channel_manager")
    mine = Distributor.objects.filter(channel_manager_id=principal.user_id)
    ids = IdSet(mine.values_list("pk", flat=True))
    ids.query = mine.values("pk")
    with CaptureQueriesContext(connection) as captured:
        by_subquery = attention_for(principal, ids, timezone.localdate())
    assert by_subquery == attention_for(principal, list(mine.values_list("pk", flat=True)), timezone.localdate())
    # Every source (goals behind, registrations to decide, conflicts due, registrations expiring) selects them by
    # the subquery; only the goals' own metrics name the few distributors that have goals.
    managed = f'"channel_manager_id" = {principal.user_id}'
    assert sum(1 for q in captured.captured_queries if managed in q["sql"]) >= 4


def test_the_light_relationship_health_flags_every_distributor_as_the_full_one_does(revenue_world):
    # The cockpit's overview reads distributors as plain rows and works out the flags of a distributor without
    # relationships once per contract strength: the same flags, in the same order, as the full overview.
    from keychannel.network.choices import ContractStrength
    from keychannel.network.models import Distributor
    from keychannel.network.relationship_selectors import DistributorRef, relationship_health_overview

    Distributor.objects.filter(pk=revenue_world.other.pk).update(contract_strength=ContractStrength.WEAK)
    principal = revenue_world.principal("executive")

    def shown(rows):
        return [(r["distributor"].pk, r["distributor"].legal_name, r["relationship_total"],
                 [(f.code, str(f.severity), str(f.message)) for f in r["flags"]]) for r in rows]

    light = relationship_health_overview(principal=principal, on_date=timezone.localdate(), light=True)
    assert light and all(isinstance(r["distributor"], DistributorRef) for r in light)
    assert shown(light) == shown(relationship_health_overview(principal=principal, on_date=timezone.localdate()))
    assert len({id(f) for r in light for f in r["flags"]}) == sum(len(r["flags"]) for r in light)


def test_the_heads_cockpit_reads_its_goals_and_distributor_once(revenue_world, login):
    # "My goals" and the incentive statement pay on the same goals: their progress (the goal tree and one grouped
    # statement per metric) is computed once, and the head's distributor is read once for two panels.
    from collections import Counter

    # Per request since issue 22's lazy panels: "My goals" is one request.
    requests = home_requests(login(revenue_world.user("dist_head")))
    for statements in requests:
        repeated = {sql: n for sql, n in Counter(statements).items() if n > 1}
        assert not repeated, repeated
    assert sum(1 for statements in requests for sql in statements if 'FROM "sales_salesrollup"' in sql) == 1

"""The cockpit (home page): each role sees its own panels, only what it reaches, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from keychannel.core.cockpit import attention_for, panels_for, registered_panels
from tests.cockpit_data import add_work, busy, home_html, home_requests

pytestmark = pytest.mark.django_db

# The panels each role lands on (docs/cockpits.md); a role sees none of the others'.
EXPECTED = {
    "admin": {"deals.won", "program.network_goals", "program.behind", "channel.decisions", "channel.conflicts",
              "program.approvals", "program.signoff", "program.acknowledgements", "competence.blocked",
              "program.events"},
    "program_manager": {"deals.won", "program.network_goals", "program.behind", "channel.decisions",
                        "channel.conflicts", "program.approvals", "program.signoff", "program.acknowledgements",
                        "network.relationships", "competence.blocked", "program.events"},
    "executive": {"deals.won", "program.network_goals", "program.signoff", "program.behind", "channel.conflicts",
                  "network.relationships", "program.events"},
    "channel_manager": {"network.my_distributors", "channel.decisions", "channel.conflicts", "channel.expiring",
                        "network.relationships", "competence.blocked", "program.events"},
    "dist_head": {"program.my_goals", "deals.at_risk", "channel.expiring", "program.my_support", "program.rules_to_ack",
                  "deals.team", "clients.my_actions", "competence.my_consultations", "program.events"},
    "dist_sales": {"deals.next_steps", "channel.my_registrations", "clients.my_actions", "competence.my_consultations",
                   "program.events"},
    "embedded_kam": {"competence.my_tasks", "competence.to_answer", "clients.my_actions", "clients.at_risk",
                     "program.events"},
    "mentor": {"competence.coaching", "competence.to_answer", "competence.blocked", "clients.my_actions",
               "clients.at_risk", "program.events"},
}

@pytest.fixture
def busy_world(world):
    return busy(world)


def _home(client) -> str:
    """The home page once its lazy panels and figures have loaded (tests/cockpit_data.py home_html)."""
    return home_html(client)


def _panel_keys(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-panel="([^"]+)"', html))


def test_every_panel_links_somewhere_and_every_role_has_a_cockpit():
    for panel in registered_panels():
        if panel.more_url_name:
            reverse(panel.more_url_name)
    roles = {role for panel in registered_panels() for role in panel.roles}
    assert roles >= set(EXPECTED)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_lands_on_its_own_panels(busy_world, login, role):
    assert _panel_keys(_home(login(busy_world.user(role)))) == EXPECTED[role]


@pytest.mark.parametrize("role", ["channel_manager", "dist_head", "dist_sales", "embedded_kam", "mentor"])
def test_scoped_roles_see_only_their_distributor(busy_world, login, role):
    page = _home(login(busy_world.user(role)))
    for marker in ("Client other", "Deal other", "Protected other", "Registration other", "Action other",
                   busy_world.other.legal_name):
        assert marker not in page, (role, marker)


def test_the_salesperson_sees_their_due_items(busy_world, login):
    page = _home(login(busy_world.user("dist_sales")))
    assert "Deal own" in page  # next step overdue
    assert "Client own" in page  # own registration pending
    assert "Action own" in page  # account-plan action due
    assert "KAM action own" not in page  # somebody else's action


def test_the_kam_and_mentor_see_their_work(busy_world, login):
    page = _home(login(busy_world.user("embedded_kam")))
    assert "Task own" in page and "Help own" in page and "KAM action own" in page
    page = _home(login(busy_world.user("mentor")))
    assert "Client own" in page  # coaching due on the client mentorship
    assert "Task own" in page  # blocked KAM task at the mentored distributor


def test_the_channel_manager_ranks_only_managed_distributors(busy_world):
    panels = {p["key"]: p for p in panels_for(busy_world.principal("channel_manager"))}
    mine = panels["network.my_distributors"]["items"]
    assert [i.label for i in mine] == [busy_world.own.legal_name]
    assert "Registrations to decide: 1" in mine[0].detail
    assert "Conflicts due: 1" in mine[0].detail
    ranking = attention_for(busy_world.principal("channel_manager"), [busy_world.own.pk, busy_world.other.pk],
                            timezone.localdate())
    # Another distributor's data never counts for a channel manager who does not manage it.
    assert ranking[busy_world.other.pk]["score"] == 0


def test_the_program_manager_sees_the_network_waiting(busy_world):
    panels = {p["key"]: p for p in panels_for(busy_world.principal("program_manager"))}
    labels = [i.label for i in panels["channel.decisions"]["items"]]
    assert any("Client own" in label for label in labels) and any("Client other" in label for label in labels)
    assert {i.badge for i in panels["program.approvals"]["items"]} >= {"to decide", "claim to pay"}
    assert panels["program.signoff"]["items"][0].label == "Awaiting program"


def test_the_executive_reads_money_first(busy_world):
    panels = panels_for(busy_world.principal("executive"))
    assert panels[0]["key"] == "deals.won"
    assert panels[0]["figures"][0].label == "Won this year (RON)"
    signoff = next(p for p in panels if p["key"] == "program.signoff")
    assert signoff["items"][0].badge == "your decision is due"


def test_the_distributor_head_never_sees_the_internal_assessment(busy_world, login):
    from keychannel.network.models import Relationship  # noqa: F401  (the panel that shows it is manufacturer-only)

    keys = _panel_keys(_home(login(busy_world.user("dist_head"))))
    assert "network.relationships" not in keys and "network.my_distributors" not in keys


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_cockpit_query_count_does_not_grow_with_rows(busy_world, login, role):
    client = login(busy_world.user(role))
    # Past a panel's eight rows a panel counts its rows (core.cockpit.first_rows): start with more than eight.
    for _ in range(4):
        add_work(busy_world, "own")
        add_work(busy_world, "other")
    first = [len(statements) for statements in home_requests(client)]  # the shell, then each lazy part
    for _ in range(3):
        add_work(busy_world, "own")
        add_work(busy_world, "other")
    second = [len(statements) for statements in home_requests(client)]
    assert second == first, (role, first, second)
    assert max(first) <= 25, (role, first)


def test_money_is_grouped():
    from keychannel.core.cockpit import money

    assert money(Decimal("1250000.40")) in {"1,250,000", "1.250.000", "1 250 000"}


def _home_statements(client) -> list[str]:
    return [sql for request in home_requests(client) for sql in request]


def _aggregates_over(sql: str, table: str) -> bool:
    import re

    return f'FROM "{table}"' in sql and bool(re.search(r"\b(SUM|COUNT|AVG)\(", sql))


@pytest.mark.parametrize("role", ["admin", "program_manager", "executive"])
def test_a_network_cockpit_never_aggregates_the_open_deals(busy_world, login, role):
    # Issue 22: the open pipeline (won-this-year panel, the weighted-pipeline goal and the pipeline cover) and the
    # open-deals figure come from the pipeline roll-up; the only aggregates left over the deals are the won deals
    # of a period (an index on close date) and a few distributors' goals. An aggregate over all deals fails here.
    statements = _home_statements(login(busy_world.user(role)))
    over_deals = [sql for sql in statements if _aggregates_over(sql, "deals_opportunity")]
    for sql in over_deals:
        assert '"closed_on" >=' in sql or '"distributor_id" IN' in sql, sql
    assert any("deals_pipelinestagetotal" in sql for sql in statements)


def test_the_channel_managers_cockpit_reads_relationships_once_and_caps_its_counts(busy_world, login):
    # The ranking and the relationships panel share one relationship-health overview per request, and the home
    # figures count the channel manager's open deals and clients only up to the lists' cap (LIMIT), never all rows.
    # Since the panels load in their own requests (issue 22), "once" holds per request: the ranking's request.
    requests = home_requests(login(busy_world.user("channel_manager")))
    assert all(sum(1 for sql in request if 'FROM "network_relationship"' in sql) <= 1 for request in requests)
    statements = [sql for request in requests for sql in request]
    for table in ("deals_opportunity", "clients_corporateclient"):
        counts = [sql for sql in statements if _aggregates_over(sql, table) and "GROUP BY" not in sql]
        assert counts and all("LIMIT 10001" in sql for sql in counts), (table, counts)


def test_the_network_figures_equal_the_deals_and_clients_pages(busy_world):
    # The roll-up gives the same open figures as counting the deals the principal sees.
    from keychannel.clients.selectors import client_count
    from keychannel.deals.cockpit_panels import cockpit_won_this_year
    from keychannel.deals.models import Opportunity
    from keychannel.deals.selectors import WEIGHTED, opportunity_count

    principal = busy_world.principal("admin")
    live = Opportunity.objects.visible_to(principal).open()
    assert opportunity_count(principal) == live.count()
    figures = cockpit_won_this_year(principal, timezone.localdate()).figures
    from django.db.models import Sum

    from keychannel.core.cockpit import money

    totals = live.aggregate(open_value=Sum("value"), open_weighted=Sum(WEIGHTED))
    assert figures[2].value == money(totals["open_value"])
    assert figures[2].detail.endswith(money(totals["open_weighted"]))
    assert client_count(principal) == principal_clients(principal)


def principal_clients(principal):
    from keychannel.clients.models import CorporateClient

    return CorporateClient.objects.visible_to(principal).filter(archived_at__isnull=True).count()


def test_a_home_count_stops_at_the_lists_cap(busy_world):
    from keychannel.core.pagination import capped_figure
    from keychannel.deals.models import Opportunity

    qs = Opportunity.objects.all()
    n = qs.count()
    assert n >= 2
    assert capped_figure(qs, cap=n) == n
    assert capped_figure(qs, cap=n - 1) == f"{n - 1}+"

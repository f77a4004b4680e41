"""The goals page reads right (issue 18, part 6): the headline chart agrees with its table, and goals filter by
level, metric and distributor through one definition (program/filters.py) on the page and in the API alike."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keychannel.channel.choices import RegistrationStatus
from keychannel.channel.tests.factories import make_client, make_registration
from keychannel.program import selectors
from keychannel.program.models import Goal
from keychannel.program.tests.factories import goal_tree, program

pytestmark = pytest.mark.django_db


@pytest.fixture
def goals(world):
    prog = program(world, name="Key accounts")
    tree = goal_tree(prog, world, metric="approved_registrations")
    tree["other_metric"] = Goal.objects.create(
        program=prog, parent=tree["office"], level="distributor", name="Certified at A", distributor=world.own,
        metric="people_certified", target=5, starts_on=prog.starts_on, ends_on=prog.ends_on)
    # Approved today: the table counts them; the chart used to stop at the last month end and plot 0.
    for side, count in (("own", 3), ("other", 1)):
        distributor = world.distributor(side)
        for _n in range(count):
            make_registration(distributor=distributor, client=make_client(distributor=distributor, territory=world.territory),
                              user=world.user("dist_sales"), status=RegistrationStatus.APPROVED, decided_at=timezone.now(),
                              protected_until=timezone.localdate() + timedelta(days=60))
    return prog, tree


def test_the_headline_chart_ends_on_the_tables_figure(world, login, goals):
    prog, tree = goals
    page = login(world.user("program_manager")).get(reverse("program:goal_list", args=[prog.pk]))
    chart, chart_goal = page.context["chart"], page.context["chart_goal"]
    row = next(r["progress"] for r in page.context["rows"] if r["progress"].goal.pk == chart_goal.pk)
    assert row.actual == 4
    assert chart["actual"][-1] == float(row.actual)
    assert chart["labels"][-1] == min(timezone.localdate(), prog.ends_on).isoformat()
    for goal in (tree["own"], tree["office"], tree["root"]):
        progress = selectors.goal_progress([goal])[0]
        assert selectors.goal_series(goal)["actual"][-1] == float(progress.actual), goal.name


def _page_goals(client, prog, params):
    response = client.get(reverse("program:goal_list", args=[prog.pk]), params)
    assert response.status_code == 200, params
    return {r["progress"].goal.pk for r in response.context["rows"]}


def _api_goals(api, prog, params):
    response = api.get("/api/v1/goals", {**params, "program_id": prog.pk, "limit": 500})
    assert response.status_code == 200, (params, response.content[:300])
    return {g["id"] for g in response.json()["items"]}


@pytest.mark.parametrize("role", ["program_manager", "dist_head"])
def test_goals_filter_alike_on_the_page_and_in_the_api(world, login, api_as, goals, role):
    from keychannel.program.filters import GOAL_FILTERS

    prog, tree = goals
    user = world.user(role)
    page, api = login(user), api_as(user)
    controls = GOAL_FILTERS.page_controls(world.principal(role))
    assert [c.name for c in controls] == ["level", "metric", "distributor_id"]
    assert _page_goals(page, prog, {}) == _api_goals(api, prog, {})
    for control in controls:
        assert control.choices, control.name
        for value, _label in control.choices:
            assert _page_goals(page, prog, {control.name: value}) == _api_goals(api, prog, {control.name: value}), (
                control.name, value)
    if role == "program_manager":
        assert _page_goals(page, prog, {"level": "distributor", "metric": "approved_registrations",
                                        "distributor_id": str(world.own.pk)}) == {tree["own"].pk}
        assert _page_goals(page, prog, {"metric": "people_certified"}) == {tree["other_metric"].pk}
        # A filtered page draws the first goal it lists, and its table still agrees with the chart.
        filtered = page.get(reverse("program:goal_list", args=[prog.pk]), {"distributor_id": world.other.pk})
        assert filtered.context["chart_goal"].pk == tree["other"].pk
        assert filtered.context["chart"]["actual"][-1] == 1.0
        assert f'value="{world.other.pk}" selected' in filtered.content.decode()
    else:  # a distributor head is offered (and sees) its own distributor only
        distributors = dict(next(c for c in controls if c.name == "distributor_id").choices)
        assert list(distributors) == [str(world.own.pk)]


def test_every_goal_filter_is_a_field_of_the_api_filter():
    from keychannel.program.filters import GOAL_FILTERS
    from keychannel.program.schemas import GoalFilter

    for spec in GOAL_FILTERS:
        assert spec.name in GoalFilter.model_fields, f"GoalFilter lacks the filter {spec.name}"

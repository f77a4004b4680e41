"""The goal cascade (services.goals.goal_validate) on every path that writes a goal: the service, the goal pages
(program:goal_create, program:goal_update), the API (POST /api/v1/goals, PATCH /api/v1/goals/{goal_id}) and the
Django admin (admin:program.Goal, tests in test_goal_admin.py). A refused goal changes nothing."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from keychannel.program import services
from keychannel.program.choices import GoalLevel
from keychannel.program.models import Goal

from .factories import goal_tree, program

pytestmark = pytest.mark.django_db


def _setup(world):
    prog = program(world, name="Key accounts 2026", status="draft")
    return prog, goal_tree(prog, world)


def _snapshot():
    return sorted(Goal.objects.values_list("pk", "parent_id", "level", "distributor_id", "target", "starts_on",
                                           "ends_on"))


def test_the_service_refuses_what_the_cascade_forbids(world):
    prog, goals = _setup(world)
    before = _snapshot()
    manager = world.principal("program_manager")
    with pytest.raises(ValidationError) as refused:
        services.goal_create(principal=manager, program=prog, level=GoalLevel.OFFICE, name="Orphan office",
                             metric="people_certified", target=Decimal(2))
    assert "parent" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.goal_create(principal=manager, program=prog, level=GoalLevel.DISTRIBUTOR, name="Under a leaf",
                             metric="people_certified", target=Decimal(2), parent=goals["own"],
                             distributor=world.distributor("own"))
    assert refused.value.message_dict["parent"] == ["A distributor goal is a leaf of the cascade."]
    with pytest.raises(ValidationError) as refused:
        services.goal_update(principal=manager, goal=goals["office"],
                             ends_on=prog.ends_on.replace(year=prog.ends_on.year + 1))
    assert "starts_on" in refused.value.message_dict
    assert _snapshot() == before


def test_the_goal_pages_refuse_a_distributor_goal_without_its_distributor_and_a_period_outside_the_program(
        world, login):
    """program:goal_create and program:goal_update: the service's message on the form, in the user's language."""
    prog, goals = _setup(world)
    before = _snapshot()
    client = login(world.user("program_manager"))
    data = {"parent": goals["office"].pk, "level": GoalLevel.DISTRIBUTOR, "name": "No distributor",
            "metric": "people_certified", "target": "2"}
    response = client.post(reverse("program:goal_create", args=[prog.pk]), data)
    assert response.status_code == 422
    assert "A distributor goal needs its distributor." in response.content.decode()
    edit = {"name": "North-West office", "target": "10", "starts_on": prog.starts_on.isoformat(),
            "ends_on": prog.ends_on.replace(year=prog.ends_on.year + 1).isoformat()}
    with translation.override("ro"):
        refused = translation.gettext("The goal's period must lie within the program's period.")
    assert refused != "The goal's period must lie within the program's period."
    response = client.post(reverse("program:goal_update", args=[goals["office"].pk]), edit,
                           HTTP_ACCEPT_LANGUAGE="ro")
    assert response.status_code == 422
    assert refused in response.content.decode()
    assert _snapshot() == before
    # What the cascade allows goes through on the same pages.
    data["distributor"] = world.distributor("own").pk
    assert client.post(reverse("program:goal_create", args=[prog.pk]), data).status_code == 302
    assert Goal.objects.filter(parent=goals["office"], distributor=world.distributor("own")).count() == 2


def test_the_api_refuses_a_goal_under_a_distributor_goal_and_a_period_outside_the_program(world, api_as):
    """POST /api/v1/goals and PATCH /api/v1/goals/{goal_id}: 422 with the field's message, nothing stored."""
    prog, goals = _setup(world)
    before = _snapshot()
    api = api_as(world.user("program_manager"))
    body = {"program_id": prog.pk, "parent_id": goals["own"].pk, "level": GoalLevel.DISTRIBUTOR,
            "distributor_id": world.distributor("own").pk, "metric": "people_certified", "target": "2"}
    response = api.post("/api/v1/goals", json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content
    assert "A distributor goal is a leaf of the cascade." in response.content.decode()
    patch = {"ends_on": prog.ends_on.replace(year=prog.ends_on.year + 1).isoformat()}
    response = api.patch(f"/api/v1/goals/{goals['office'].pk}", json.dumps(patch), content_type="application/json")
    assert response.status_code == 422, response.content
    assert "The goal's period must lie within the program's period." in response.content.decode()
    assert _snapshot() == before
    body.update(parent_id=goals["office"].pk, name="Second goal of the own distributor")
    created = api.post("/api/v1/goals", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["parent_id"] == goals["office"].pk

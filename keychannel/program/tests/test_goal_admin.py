"""The goal cascade holds on the admin's path too (admin:program.Goal): it saves without the services, so its form
runs their check."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory

from keychannel.program.admin import GoalAdmin
from keychannel.program.choices import GoalLevel
from keychannel.program.models import Goal

from .factories import goal_tree, program

pytestmark = pytest.mark.django_db


def _admin_form(world, data, instance=None):
    request = RequestFactory().post("/admin/program/goal/add/")
    request.user = world.user("admin")
    form_class = GoalAdmin(Goal, admin_site).get_form(request, instance)
    return form_class(data=data, instance=instance)


def _data(prog, **fields):
    data = {"program": prog.pk, "level": GoalLevel.DISTRIBUTOR, "name": "Under a leaf", "metric": "people_certified",
            "target": "3", "starts_on": prog.starts_on.isoformat(), "ends_on": prog.ends_on.isoformat()}
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def test_the_admin_refuses_a_goal_under_a_distributor_goal(world):
    prog = program(world, name="Key accounts 2026")
    goals = goal_tree(prog, world)
    form = _admin_form(world, _data(prog, parent=goals["own"].pk, distributor=world.distributor("other").pk))
    assert not form.is_valid()
    assert "parent" in form.errors
    assert not Goal.objects.filter(name="Under a leaf").exists()


def test_the_admin_refuses_a_distributor_goal_without_its_distributor_and_a_period_outside_the_program(world):
    prog = program(world, name="Key accounts 2026")
    goals = goal_tree(prog, world)
    form = _admin_form(world, _data(prog, parent=goals["office"].pk, ends_on=prog.ends_on.replace(year=prog.ends_on.year + 1)))
    assert not form.is_valid()
    assert "distributor" in form.errors


def test_the_admin_saves_a_goal_the_cascade_allows(world):
    prog = program(world, name="Key accounts 2026")
    goals = goal_tree(prog, world)
    form = _admin_form(world, _data(prog, parent=goals["office"].pk, distributor=world.distributor("own").pk,
                                    name="Second goal"))
    assert form.is_valid(), form.errors
    goal = form.save()
    assert goal.parent == goals["office"] and goal.target == Decimal(3)

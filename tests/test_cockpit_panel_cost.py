"""Issue 22, wave 11c: the costliest home panel fragments read less. The channel manager's ranking reads its ~1,000
distributors as plain rows, its two registration sources share one statement and the stale-relationships source
does not read the distributors again; goal panels whose goals are network or distributor goals (a leaf of the
cascade) read no goal tree. Statement counts and model instances, never wall-clock; the figures stay those of a
recount, and nobody sees more (tests/test_cockpit.py, the access matrix)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from keychannel.channel.choices import RegistrationStatus
from keychannel.channel.models import DealRegistration
from keychannel.channel.selectors import attention_pending_registrations, attention_registrations_expiring
from keychannel.core.cockpit import attention_for, one_build
from keychannel.network.models import Distributor
from keychannel.program.choices import GoalLevel
from keychannel.program.models import Goal
from keychannel.program.selectors.goals import goal_progress
from tests.cockpit_data import add_goals, build_panel_sql, busy, instances_built

pytestmark = pytest.mark.django_db


GOAL_METRICS = ("won_contracts", "approved_registrations")


def test_the_ranking_builds_no_distributor_instance(world):
    # Before: every one of the manager's distributors was a model instance (~970 at full size), for 8 shown.
    busy(world)
    with instances_built(Distributor) as built:
        content, _sql = build_panel_sql(world.principal("channel_manager"), "network.my_distributors")
    assert [i.label for i in content.items] == [world.own.legal_name]
    assert built == []


def test_the_ranking_reads_the_registrations_once_and_its_distributors_once(world):
    # Before: one statement per registration source (to decide, expiring) and the stale source read the manager's
    # distributors a second time (those without relationships).
    busy(world)
    principal = world.principal("channel_manager")
    _content, sql = build_panel_sql(principal, "network.my_distributors")
    managed = f'"channel_manager_id" = {principal.user_id}'
    assert sum(1 for s in sql if 'FROM "channel_dealregistration"' in s.split(" WHERE ")[0]) == 1
    assert sum(1 for s in sql if 'FROM "network_distributor"' in s.split(" WHERE ")[0] and managed in s) == 1


def test_the_registration_sources_equal_a_recount(world):
    busy(world)
    today = timezone.localdate()
    principal = world.principal("program_manager")
    ids = [world.own.pk, world.other.pk]
    DealRegistration.objects.filter(distributor=world.own, status=RegistrationStatus.APPROVED).update(
        protected_until=today + datetime.timedelta(days=3))
    live = DealRegistration.objects.filter(distributor_id__in=ids)
    pending = {pk: live.filter(distributor_id=pk, status=RegistrationStatus.PENDING).count() for pk in ids}
    expiring = {pk: live.filter(distributor_id=pk, status=RegistrationStatus.APPROVED, protected_until__gte=today,
                                protected_until__lte=today + datetime.timedelta(days=14)).count() for pk in ids}
    with one_build():
        assert attention_pending_registrations(principal, ids, today) == {k: v for k, v in pending.items() if v}
        assert attention_registrations_expiring(principal, ids, today) == {k: v for k, v in expiring.items() if v}
    assert any(expiring.values()) and any(pending.values())


def test_the_stale_source_never_counts_a_distributor_out_of_reach(world):
    # The ids are taken as the principal's active visible distributors; reach still narrows them.
    busy(world)
    principal = world.principal("channel_manager")
    with one_build():
        ranking = attention_for(principal, [world.own.pk, world.other.pk], timezone.localdate())
    assert ranking[world.other.pk] == {"score": 0, "reasons": []}


@pytest.mark.parametrize(("role", "key"), [("program_manager", "program.behind"),
                                           ("channel_manager", "network.my_distributors"),
                                           ("dist_head", "program.my_goals")])
def test_goal_panels_of_distributor_goals_read_no_goal_tree(world, role, key):
    # Before: the running programs' whole goal tree was read to find that a distributor goal sums its own distributor.
    busy(world)
    add_goals(world, GOAL_METRICS, distributor_target=500)
    content, sql = build_panel_sql(world.principal(role), key)
    assert content is not None
    assert [s for s in sql if 'FROM "program_goal"' in s and '"program_goal"."metric"' not in s.split(" FROM ")[0]] == []


def test_an_office_goal_still_sums_the_distributors_below_it(world):
    busy(world)
    program = add_goals(world, GOAL_METRICS, distributor_target=500)
    root = Goal.objects.get(program=program, name="Network approved_registrations")
    office = Goal.objects.create(program=program, parent=root, level=GoalLevel.OFFICE, name="Office",
                                 metric="approved_registrations", target=Decimal(10), starts_on=program.starts_on,
                                 ends_on=program.ends_on)
    Goal.objects.filter(parent=root).exclude(pk=office.pk).update(parent=office)
    leaves = list(Goal.objects.filter(parent=office))
    progress = {p.goal.pk: p.actual for p in goal_progress([office, *leaves])}
    assert progress[office.pk] == sum(progress[g.pk] for g in leaves)
    assert len(leaves) == 2


def test_the_heads_goals_panel_builds_no_goal_instance(world):
    # Before: the head's goals were model instances with every column; the panel reads the progress fields.
    busy(world)
    add_goals(world, GOAL_METRICS, distributor_target=500)
    with instances_built(Goal) as built:
        content, _sql = build_panel_sql(world.principal("dist_head"), "program.my_goals")
    assert len(content.items) >= 2 and content.figures
    assert built == []

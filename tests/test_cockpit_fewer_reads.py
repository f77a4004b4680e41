"""Issue 22, wave 14: the channel manager's ranking and the network goals panel read less. The relationship health
of the cockpit is one statement of plain rows (relationships with their person's level and their distributor),
not model instances and a second statement for the distributors; the goals-behind source reads its goals without
the goals' default order (a join to the programs and a sort); the network goals panel's pipeline cover takes the
pipeline now from goal_progress's UNION ALL when a network goal on it reads "now". Statement counts and shapes,
never wall-clock; the figures stay those of a recount (the flags: tests/test_cockpit_health.py's property)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from keychannel.core.cockpit import money
from keychannel.deals.rollups import _open_totals
from keychannel.network.choices import ContractStrength, PersonLevel, RelationshipLevel
from keychannel.network.models import DistributorPerson, Relationship
from keychannel.network.tests.factories import DistributorFactory
from keychannel.program import metrics
from keychannel.program.choices import ProgramStatus
from keychannel.program.models import Program
from tests.cockpit_data import add_goals, build_panel_sql, busy, instances_built

pytestmark = pytest.mark.django_db


def _related(world):
    """Two managed distributors with relationships (one fresh top pairing, one stale) and one without any."""
    today = timezone.localdate()
    manager = world.user("channel_manager")
    made = []
    for code, days in (("r-fresh", 10), ("r-stale", 400)):
        d = DistributorFactory(code=code, contract_strength=ContractStrength.WEAK, territory=world.territory,
                               channel_manager=manager)
        person = DistributorPerson.objects.create(distributor=d, full_name=f"P {code}", level=PersonLevel.FIRST_PERSON)
        Relationship.objects.create(person=person, manufacturer_user=world.user("program_manager"),
                                    manufacturer_level=RelationshipLevel.TOP, strength=3,
                                    last_interaction=today - datetime.timedelta(days=days))
        made.append(d)
    DistributorFactory(code="r-alone", territory=world.territory, channel_manager=manager)
    return made


@pytest.mark.parametrize("role", ["program_manager", "executive", "channel_manager"])
def test_relationship_health_is_one_statement_of_rows(world, role):
    # Before: every visible relationship as a model instance with its person (select_related), then a statement for
    # their distributors: 3 statements in the panel (relationships, their distributors, those without any).
    busy(world)
    _related(world)
    with instances_built(Relationship) as relationships, instances_built(DistributorPerson) as people:
        content, sql = build_panel_sql(world.principal(role), "network.relationships")
    assert content.items
    assert relationships == [] and people == []
    reads = [s for s in sql if 'FROM "network_relationship"' in s]
    assert len(reads) == 1 and '"network_distributor"."legal_name"' in reads[0].split(" FROM ")[0], reads
    assert len(sql) == 2, sql  # the relationships with their distributors, and the first of those without any


def test_the_ranking_reads_relationships_once_and_the_goals_without_their_order(world):
    busy(world)
    _related(world)
    add_goals(world, ["won_contracts", "approved_registrations"], distributor_target=500)
    content, sql = build_panel_sql(world.principal("channel_manager"), "network.my_distributors")
    assert content.items
    assert len([s for s in sql if 'FROM "network_relationship"' in s]) == 1
    goals = [s for s in sql if 'FROM "program_goal"' in s and '"program_goal"."metric"' in s.split(" FROM ")[0]]
    # Before: the goals' default order (program start, name) joined the programs and sorted the rows.
    assert len(goals) == 1 and "ORDER BY" not in goals[0] and 'JOIN "program_program"' not in goals[0], goals


@pytest.mark.parametrize("role", ["program_manager", "executive"])
@pytest.mark.parametrize("with_pipeline_goal", [True, False])
def test_the_pipeline_cover_reads_the_pipeline_in_the_goals_statement(world, role, with_pipeline_goal):
    # Before: the network's pipeline now was its own statement (open_totals) beside the goals' UNION ALL.
    busy(world)
    add_goals(world, ["corporate_revenue", "weighted_pipeline"] if with_pipeline_goal else ["corporate_revenue"],
              network_target=10 ** 12)
    content, sql = build_panel_sql(world.principal(role), "program.network_goals")
    pipeline = [s for s in sql if 'FROM "deals_pipelinestagetotal"' in s]
    assert len(pipeline) == 1, pipeline
    assert ("UNION ALL" in pipeline[0]) == with_pipeline_goal
    # The figure is a recount's: the pipeline now over the revenue left.
    weighted = _open_totals()[2]
    assert weighted > 0
    revenue = metrics.get("corporate_revenue")
    program_goal = next(i for i in content.items if str(revenue.label) in i.label)
    assert program_goal
    [cover] = content.figures
    assert money(weighted) in cover.detail
    left = Decimal(10 ** 12) - revenue.total(None, *_period(world))
    assert cover.value == f"{weighted / left:.1f}×"


def _period(world):
    program = Program.objects.filter(status=ProgramStatus.LAUNCHED).order_by("-starts_on").first()
    return program.starts_on, program.ends_on


def test_the_heads_goals_panel_reads_no_distributor_row(world):
    # Before: the head's distributor was read as a model instance for the incentive statement, which narrows the
    # ledger by its id only. The figure is the statement page's (tests/test_cockpit.py compares them).
    busy(world)
    add_goals(world, ["won_contracts", "approved_registrations"], distributor_target=500)
    content, sql = build_panel_sql(world.principal("dist_head"), "program.my_goals")
    assert content.items and content.figures
    assert [s for s in sql if 'FROM "network_distributor"' in s.split(" WHERE ")[0]] == [], sql

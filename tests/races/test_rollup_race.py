"""Concurrent stage moves keep the pipeline roll-up right (docs/deals.md, "Pipeline roll-up"): the rows change by
F() increments under the deals' row locks, in one fixed order, so two moves between the same stages (and two moves
in opposite directions) add up without a lost update or a deadlock."""

import datetime
from decimal import Decimal

import pytest

from keychannel.deals import rollups
from keychannel.deals.choices import Stage
from keychannel.deals.models import PipelineRollup
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import Coverage
from tests.races.concurrency import fire_json, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]


def test_concurrent_stage_changes_leave_the_right_rollup(world):
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1))
    client = ClientFactory(distributor=world.own, territory=world.territory)
    owner = world.user("dist_sales")
    forward = [OpportunityFactory(client=client, owner=owner, stage=Stage.DISCUSSION, value=Decimal(100 + i))
               for i in range(3)]
    back = OpportunityFactory(client=client, owner=owner, stage=Stage.CONSULTATION, probability=20,
                              value=Decimal("1000"))
    token = token_for(owner)
    moves = [("POST", f"/api/v1/opportunities/{d.pk}/move", token, {"stage": "consultation"}) for d in forward]
    moves.append(("POST", f"/api/v1/opportunities/{back.pk}/move", token, {"stage": "discussion"}))
    results = fire_json(moves)
    assert [status for status, _ in results] == [200, 200, 200, 200], results
    assert rollups.differences() == []
    consultation = PipelineRollup.objects.get(distributor=world.own, stage=Stage.CONSULTATION)
    assert consultation.deal_count == 3 and consultation.amount == Decimal("303.00")
    discussion = PipelineRollup.objects.get(distributor=world.own, stage=Stage.DISCUSSION)
    assert discussion.deal_count == 1 and discussion.amount == Decimal("1000.00")

"""Issue 22: the API's deal detail reads the deal with only what it answers (no distributor or territory row), its
moves once (they were read twice: for the history and again for the time in stages), and on PostgreSQL its
product lines' ids with its row; its answer is the one the schema gives from the full rows."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from keychannel.core.scoping import Principal
from keychannel.deals import selectors
from keychannel.deals.choices import Stage
from keychannel.deals.models import StageChange
from keychannel.deals.schemas import OpportunityDetailOut
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import Distributor
from keychannel.network.tests.factories import ProductLineFactory

pytestmark = pytest.mark.django_db


def _deal(world):
    distributor = Distributor.objects.visible_to(Principal.for_user(world.user("dist_sales"))).first()
    deal = OpportunityFactory(client=ClientFactory(distributor=distributor), owner=world.user("dist_sales"),
                              mentor=world.user("channel_manager"), stage=Stage.PROPOSAL, next_step="call")
    deal.product_lines.set([ProductLineFactory(name=name) for name in ("Zeta", "Alpha", "Mid")])  # ids ≠ names' order
    start = timezone.now() - datetime.timedelta(days=30)
    StageChange.objects.filter(opportunity=deal).delete()
    for days, (before, after) in enumerate([("", Stage.DISCUSSION), (Stage.DISCUSSION, Stage.PROPOSAL)]):
        StageChange.objects.create(opportunity=deal, from_stage=before, to_stage=after, note=f"n{days}",
                                   changed_by=world.user("dist_sales"), changed_at=start + datetime.timedelta(days=9 * days))
    return deal


def _full(principal, pk):
    """The answer as before: the list's full rows, the moves read with their people."""
    deal = selectors.opportunity_get(principal=principal, pk=pk)
    history = selectors.stage_history(opportunity=deal)
    deal.stage_history = [{"from_stage": r["change"].from_stage, "to_stage": r["change"].to_stage,
                           "changed_by_id": r["change"].changed_by_id, "changed_at": r["change"].changed_at,
                           "note": r["change"].note, "days_in_stage": round(r["duration"].total_seconds() / 86400, 2)}
                          for r in history]
    deal.time_in_stages = selectors.time_in_stages(opportunity=deal, history=history)
    return json.loads(json.dumps(OpportunityDetailOut.from_orm(deal).model_dump(), cls=NinjaJSONEncoder))


@pytest.mark.parametrize("username", ["admin", "dist_head"])
def test_the_detail_reads_the_deal_once_and_its_moves_once(world, api_as, username):
    deal = _deal(world)
    caller = api_as(world.user(username))
    caller.get("/api/v1/me")  # the rate window
    with CaptureQueriesContext(connection) as ctx:
        answer = caller.get(f"/api/v1/opportunities/{deal.pk}")
    assert answer.status_code == 200
    body = answer.json()
    statements = [q["sql"] for q in ctx.captured_queries]
    deals = [sql for sql in statements if 'FROM "deals_opportunity"' in sql]
    assert len(deals) == 1
    assert '"network_distributor"' not in deals[0] and '"network_territory"' not in deals[0]
    assert len([sql for sql in statements if 'FROM "deals_stagechange"' in sql]) == 1
    assert not [sql for sql in statements if 'FROM "deals_stagechange"' in sql and '"auth_user"' in sql]
    lines = [sql for sql in statements if '"network_productline"' in sql and 'FROM "deals_opportunity"' not in sql]
    assert len(lines) == (0 if connection.vendor == "postgresql" else 1)
    # the body: the schema's answer from the full rows (times in stages measured a moment apart: rounded alike)
    expected = _full(Principal.for_user(world.user(username)), deal.pk)
    for row in (body, expected):
        for stage in row["stage_history"]:
            stage["days_in_stage"] = round(stage["days_in_stage"], 1)
    assert body == expected
    assert body["product_line_ids"] == [line.pk for line in deal.product_lines.order_by("name", "id")]
    assert [s["to_stage"] for s in body["stage_history"]] == [Stage.DISCUSSION, Stage.PROPOSAL]
    assert [s["stage"] for s in body["time_in_stages"]] == [Stage.DISCUSSION, Stage.PROPOSAL]


def test_the_detail_of_a_deal_out_of_reach_is_not_found(world, api_as):
    deal = _deal(world)
    assert api_as(world.other_users["dist_head"]).get(f"/api/v1/opportunities/{deal.pk}").status_code == 404

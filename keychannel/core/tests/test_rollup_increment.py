"""``core.rollups.increment``, the one way every stored roll-up takes a change (deals' pipeline and per-stage rows,
won days, sales months): the statements it runs, in order, so the roll-ups' writes keep their cost and their
concurrency (an ``F()`` update; a missing row inserted empty with ``ON CONFLICT DO NOTHING``, then updated)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.core.rollups import increment
from keychannel.deals.stage_totals import PipelineStageTotal

pytestmark = pytest.mark.django_db
ROW = {"shard": 3, "stage": "proposal", "currency": "EUR"}


def _statements(deltas) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        increment(PipelineStageTotal.objects, ROW, deltas, ROW)
    return [q["sql"].split()[0] for q in queries.captured_queries]


def test_a_missing_row_is_inserted_empty_then_updated_and_an_existing_one_updated_once():
    PipelineStageTotal.objects.all().delete()
    assert _statements({"deal_count": 2, "amount": Decimal("10.50"), "weighted": Decimal("1.05")}) == [
        "UPDATE", "INSERT", "UPDATE"]
    assert _statements({"deal_count": -1, "amount": Decimal("-0.50"), "weighted": Decimal("0")}) == ["UPDATE"]
    row = PipelineStageTotal.objects.get(**ROW)
    assert (row.deal_count, row.amount, row.weighted) == (1, Decimal("10.00"), Decimal("1.0500"))


def test_the_insert_yields_to_a_row_already_there_and_nothing_changes_without_a_difference():
    PipelineStageTotal.objects.all().delete()
    assert _statements({"deal_count": 0, "amount": Decimal("0"), "weighted": Decimal("0")}) == []
    assert not PipelineStageTotal.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        increment(PipelineStageTotal.objects, ROW, {"deal_count": 1, "amount": 5, "weighted": 0}, ROW)
    insert = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT"))
    assert "ON CONFLICT DO NOTHING" in insert or insert.startswith("INSERT OR IGNORE")

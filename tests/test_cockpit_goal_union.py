"""Issue 22, wave 13: goal actuals are read in one statement. goal_progress read one statement per (metric, period):
five round trips in the distributor head's goals panel, in the network goals panel and in the channel manager's
ranking (whose goals-behind source reads the goals of their distributors). metrics.read_many reads every metric
a source answers as a query in one UNION ALL. Statement counts, never wall-clock; the values are those each
metric's total/by_distributor answers, to the same scale (the panels' figures equal the goals pages':
tests/test_cockpit.py, keychannel/program/tests)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keychannel.core.cockpit import one_build
from keychannel.program import metrics
from tests.cockpit_data import add_goals, build_panel_sql, busy

pytestmark = pytest.mark.django_db

# A statement that reads a goal metric's rows (every metric registered, each source's table).
METRIC_SOURCES = ('FROM "sales_salesrollup"', 'FROM "deals_wondayrollup"', 'FROM "program_enrollment"',
                  '"channel_dealregistration"."decided_at"', 'FROM "deals_pipelinerollup"')


@pytest.mark.parametrize(("role", "key"), [("channel_manager", "network.my_distributors"),
                                           ("dist_head", "program.my_goals"),
                                           ("program_manager", "program.network_goals"),
                                           ("executive", "program.network_goals")])
def test_a_goal_panel_reads_every_metric_in_one_statement(world, role, key):
    # Before: one statement per metric and period (5 for these goals; the network's pipeline now is read apart,
    # once per cockpit, shared with the pipeline cover and the home figures).
    busy(world)
    add_goals(world, metrics.METRICS)
    content, sql = build_panel_sql(world.principal(role), key)
    assert content is not None
    reads = [s for s in sql if any(source in s for source in METRIC_SOURCES)]
    assert len(reads) == 1, reads
    assert "UNION ALL" in reads[0]
    assert all(source in reads[0] for source in METRIC_SOURCES[:4]), reads[0]


def _periods(program, today):
    year = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    return [
        (program.starts_on, program.ends_on),
        year,  # whole months of a year: the stored roll-ups
        (year[0] - datetime.timedelta(days=365), year[0] - datetime.timedelta(days=1)),  # past: no "now" source
        (year[0] + datetime.timedelta(days=3), today + datetime.timedelta(days=40)),  # not whole months
    ]


def test_read_many_equals_each_metrics_own_read(world):
    busy(world)
    program = add_goals(world, metrics.METRICS)
    today = timezone.localdate()
    ids = {world.distributor("own").pk, world.distributor("other").pk}
    keys = [(m, start, end) for m in [*metrics.METRICS, "no_longer_registered"] for start, end in _periods(program, today)]
    with one_build(), CaptureQueriesContext(connection) as ctx:  # (a cockpit's build: the pipeline now read once)
        grouped, totals = metrics.read_many(dict.fromkeys(keys, ids) | {("won_contracts", *keys[1][1:]): set()},
                                            set(keys))
    assert len(ctx.captured_queries) <= 2  # the union, and the network's pipeline now (open_totals)
    for key in keys:
        metric = metrics.get(key[0])
        if metric is None:
            assert grouped[key] is None and totals[key] is None
            continue
        want, total = metric.by_distributor(ids, key[1], key[2]), metric.total(None, key[1], key[2])
        assert all(grouped[key].get(pk, 0) == want.get(pk, 0) for pk in ids), key
        assert totals[key] == total, key
        if connection.vendor == "postgresql":  # to the scale too (SQLite's own reads differ in scale by source)
            assert {pk: str(v) for pk, v in grouped[key].items() if v} == {pk: str(v) for pk, v in want.items() if v}
            assert str(totals[key]) == str(total), key
    assert grouped[("won_contracts", *keys[1][1:])] == {}
    assert any(v for values in grouped.values() if values for v in values.values())  # the data has figures

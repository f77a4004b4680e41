"""The first page of the largest lists is read off an index on PostgreSQL: no sort of the whole table.

EXPLAIN without ANALYZE on an empty table would pick a sequential scan anyway, so the planner is told sequential
scans are expensive (``enable_seqscan = off``): a plan that still sorts means no index *can* give the order.
"""

import pytest
from django.db import connection

from keychannel.core import keyset
from keychannel.sales import selectors as sales_selectors

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_suite]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_first_sales_lines_page_walks_the_newest_index(world):
    queryset = sales_selectors.line_list(principal=world.principal("program_manager"))
    page = keyset.ordered(queryset, keyset.keys_of(queryset))[:51]
    plan = _plan(page)
    assert "Sort" not in plan, plan
    assert "sales_line_newest" in plan, plan

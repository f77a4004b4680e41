"""The first page of the largest lists is read off an index on PostgreSQL: no sort of the whole table.

EXPLAIN without ANALYZE on an empty table would pick a sequential scan anyway, so the planner is told sequential
scans and sorts are expensive (``enable_seqscan = off``, ``enable_sort = off``): a plan that still sorts means no
index *can* give the order. (With sorts allowed, a worker whose earlier tests left the table's statistics at a few
rows planned a hash join and a sort of 30 estimated rows, index or not.)
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
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_first_sales_lines_page_walks_the_newest_index(world):
    queryset = sales_selectors.line_list(principal=world.principal("program_manager"))
    page = keyset.ordered(queryset, keyset.keys_of(queryset))[:51]
    plan = _plan(page)
    assert "Sort" not in plan, plan
    assert "sales_line_newest" in plan, plan


def test_an_order_no_index_gives_still_sorts(world):
    """The guard: the check above sees a sort when no index can give the order."""
    queryset = sales_selectors.line_list(principal=world.principal("program_manager")).order_by("quantity", "pk")
    assert "Sort" in _plan(queryset[:51])

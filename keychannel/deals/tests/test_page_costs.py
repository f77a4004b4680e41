"""Issue 22 (pages): the kanban reads its columns' cards in two statements on PostgreSQL (a query per column
before), and the deals page reads only the relations its columns show (the API's product lines, mentor and KAM
cost a query and two joins per page the table never drew)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.deals import selectors
from keychannel.deals.choices import Stage
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _deals(world, n):
    clients = [ClientFactory(distributor=world.own, territory=world.territory) for _ in range(2)]
    for index in range(n):
        deal = OpportunityFactory(client=clients[index % 2], owner=world.user("dist_sales"),
                                  stage=Stage.values[index % len(Stage.values)],
                                  lost_reason="Price" if Stage.values[index % len(Stage.values)] == Stage.LOST else "")
        deal.product_lines.add(world.product_line)


@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_the_board_reads_every_column_at_once_and_as_each_column_alone(world, role):
    _deals(world, 3 * len(Stage.values))
    principal = world.principal(role)
    principal.distributor_ids  # noqa: B018 - the principal's reach, read once per request
    with CaptureQueriesContext(connection) as queries:
        columns = selectors.board_first_cards(principal=principal, filters={}, limit=2)
    one_statement = connection.features.supports_slicing_ordering_in_compound  # PostgreSQL
    assert len(queries.captured_queries) == (2 if one_statement else len(Stage.values))
    for stage in Stage.values:
        alone = selectors.board_cards(principal=principal, filters={}, stage=stage, limit=2)
        assert [card.pk for card in columns[stage]] == [card.pk for card in alone]
        assert all(card.client.legal_name and card.owner for card in columns[stage])  # no query per card after


def _statements(page, url):
    with CaptureQueriesContext(connection) as queries:
        assert page.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_board_statements_do_not_grow_with_the_deals(world, login):
    page = login(world.user("admin"))
    url = reverse("deals:pipeline")
    _deals(world, len(Stage.values))
    page.get(url)
    few = len(_statements(page, url))
    _deals(world, 4 * len(Stage.values))
    assert len(_statements(page, url)) == few


def test_the_deals_page_reads_what_its_columns_show(world, login):
    page = login(world.user("admin"))
    url = reverse("deals:opportunity_list")
    _deals(world, 3)
    page.get(url)
    few = _statements(page, url)
    _deals(world, 12)
    many = _statements(page, url)
    assert len(many) == len(few)
    assert not any("deals_opportunity_product_lines" in sql for sql in many)
    rows = next(sql for sql in many if 'FROM "deals_opportunity"' in sql and "COUNT(" not in sql.upper())
    assert '"kam_id" = ' not in rows and '"mentor_id" = ' not in rows  # no join to the mentor or KAM
    counts = [sql for sql in many if "COUNT(" in sql.upper() and "deals_opportunity" in sql]
    assert counts and all("LIMIT 10001" in sql for sql in counts)  # capped, as the API's list

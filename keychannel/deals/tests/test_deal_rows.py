"""Issue 22 (deals page ≤ 5× bare): the deals page reads its rows as values (``deals.deal_rows.DealRow``), not as
deals with their client, distributor and owner objects, and draws the very cells and exports the very values the
deals gave; for a principal who sees every deal, the count past the cap comes from the pipeline roll-up."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import signals
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from keychannel.core.tables import CappedPaginator, TableState
from keychannel.deals import selectors
from keychannel.deals.models import Opportunity
from keychannel.deals.tables import pipeline_table
from keychannel.deals.tests.test_board_rows import _board_world

pytestmark = pytest.mark.django_db


def _body(table, rows) -> list[str]:
    return TableState(table, SimpleNamespace(object_list=rows), "", "", {}, None).body


@pytest.mark.parametrize("language", ["en", "ro"])
@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_the_deals_page_draws_and_exports_what_the_deals_gave(world, role, language):
    _board_world(world)
    principal = world.principal(role)
    with translation.override(language):
        table = pipeline_table(principal)
        rows = list(selectors.opportunity_table_rows(principal=principal).order_by("pk"))
        deals = list(Opportunity.objects.visible_to(principal).select_related("client", "distributor", "owner")
                     .order_by("pk"))
        assert [row.pk for row in rows] == [deal.pk for deal in deals] and len(rows) >= 7
        assert _body(table, rows) == _body(table, deals)  # byte for byte: escaping, dates, amounts, labels, links
        assert [table.export_row(row) for row in rows] == [table.export_row(deal) for deal in deals]


def test_the_deals_page_builds_no_model_rows(world, login):
    _board_world(world)
    page = login(world.user("admin"))
    built = []

    def count(sender, **kwargs):
        built.append(sender.__name__)

    signals.post_init.connect(count)
    try:
        assert page.get("/deals/").status_code == 200
    finally:
        signals.post_init.disconnect(count)
    assert not {"Opportunity", "CorporateClient", "Distributor"} & set(built)


@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_past_the_cap_the_count_of_every_deal_comes_from_the_rollup(world, role):
    """Issue 22: the admin's first page counted 10,001 index entries of the deals; the roll-up tells it. A head
    (who does not see every deal) still counts them, and so does a search or filter (the where clause changed)."""
    _board_world(world)
    principal = world.principal(role)
    principal.distributor_ids  # noqa: B018 - the principal's reach, read once per request
    rows = selectors.opportunity_table_rows(principal=principal)
    cap = 5
    with CaptureQueriesContext(connection) as queries:
        paginator = CappedPaginator(rows.order_by("-expected_close_on", "pk"), 3, cap)
        assert (paginator.count, paginator.capped) == (cap, True)
    counted = [q["sql"] for q in queries.captured_queries if 'FROM "deals_opportunity"' in q["sql"]]
    assert (counted == []) == (role == "admin")
    searched = CappedPaginator(rows.filter(title__icontains="Deal <1"), 3, 1000)
    with CaptureQueriesContext(connection) as queries:
        assert searched.count == rows.filter(title__icontains="Deal <1").count()
    assert any('FROM "deals_opportunity"' in q["sql"] for q in queries.captured_queries)

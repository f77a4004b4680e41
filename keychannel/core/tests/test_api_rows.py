"""API list pages (issue 22, part 3): every list goes through core.api_rows (whose bytes equal ninja's own on the
demo: api_rows_check, called from tests/test_demo.py), the OpenAPI schema is unchanged, and a page that tells its own
count is not counted again."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.core.pagination import BoundedPagination

from .api_rows_check import list_operations

pytestmark = pytest.mark.django_db


def test_every_list_is_paginated_through_the_fast_path():
    """A paginated API list uses core.pagination.paginate (ninja's own decorator would skip the fast path)."""
    from keychannel.api import api

    slow = []
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for operation in view.operations:
                func = operation.view_func
                if getattr(func, "_ninja_is_paginated", False) and not getattr(func, "kc_fast_list", False):
                    slow.append(f"{'/'.join(operation.methods)} {bound.prefix}{path}")
    assert slow == []
    assert len(list_operations()) > 30


def test_the_fast_path_changes_no_openapi_schema():
    from keychannel.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    components = schema["components"]["schemas"]
    assert {"PagedClientOut", "ClientOut", "PagedOpportunityOut"} <= set(components)
    # The pages' rows are validated by twins of the row schemas (ClientOutRow …): they never reach the schema.
    assert not [name for name in components if re.fullmatch(r".+OutRow", name)]


@pytest.mark.parametrize(("total", "offset", "limit", "queries", "count", "capped"), [
    (5, 0, 10, 1, 5, False),     # the first page holds every row: its length is the count
    (5, 3, 10, 1, 5, False),     # a last page: offset + its rows
    (5, 8, 10, 2, 5, False),     # past the end: nothing seen, so it is counted
    (12, 0, 10, 2, 12, False),   # a full page with more after it: counted
    (12, 5, 3, 2, 12, False),
    (30, 22, 10, 1, 20, True),   # reaches past the cap (20 here): capped without counting
    (30, 0, 10, 2, 20, True),
])
def test_a_page_that_shows_its_count_is_not_counted(world, monkeypatch, total, offset, limit, queries, count, capped):
    from keychannel.clients.models import CorporateClient
    from keychannel.clients.tests.factories import ClientFactory

    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 20)
    ClientFactory.create_batch(total, distributor=world.own)
    paginator = BoundedPagination()
    pagination = BoundedPagination.Input(limit=limit, offset=offset)
    queryset = CorporateClient.objects.filter(distributor=world.own).order_by("normalized_name", "pk")
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.paginate_queryset(queryset, pagination, request=None)
    assert len(ctx.captured_queries) == queries
    assert (page["count"], page["count_is_capped"]) == (count, capped)
    assert len(page["items"]) == max(0, min(limit, total - offset))


def test_a_pages_dates_times_and_amounts_are_written_without_the_encoders_callback(world, api_as, monkeypatch):
    """Issue 22: json.dumps called back into the response encoder (a chain of isinstance checks) for every date,
    time and amount of a page: 400 calls for 50 deals. The rows now hold their JSON text already, the same text
    the encoder writes (the byte comparison with ninja's own path: api_rows_check)."""
    from ninja.responses import NinjaJSONEncoder

    from keychannel.deals.tests.factories import OpportunityFactory

    for _ in range(3):
        OpportunityFactory(owner=world.user("admin"))
    calls = []
    default = NinjaJSONEncoder.default

    def counting(self, value):
        calls.append(type(value))
        return default(self, value)

    monkeypatch.setattr(NinjaJSONEncoder, "default", counting)
    body = api_as(world.user("admin")).get("/api/v1/opportunities?limit=50").json()
    assert len(body["items"]) >= 3 and body["items"][0]["created_at"] and body["items"][0]["value"]
    assert calls == []

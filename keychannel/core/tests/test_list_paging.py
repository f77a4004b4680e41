"""The API's list paging at depth (issue 22): cursor pages equal offset pages, a walk by cursor reads every row once
in order even while rows are added, deep offsets read ids first, counts stop at a cap, and the statements of a page
do not grow with the list."""

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keychannel.clients.models import CorporateClient
from keychannel.clients.selectors import client_sorted
from keychannel.core import keyset
from keychannel.core.pagination import BoundedPagination
from keychannel.deals.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NAMES = ["Alfa", "Beta", "Gama", "Delta"]  # few names: ties that only the id breaks


def _page(queryset, limit, cursor=None, offset=0):
    pagination = BoundedPagination.Input(limit=limit, cursor=cursor, offset=offset)
    return BoundedPagination().paginate_queryset(queryset, pagination, request=None)


def _new_client(name, employees):
    return ClientFactory(legal_name=f"{name} SRL", employees=employees)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(st.sampled_from(NAMES), st.one_of(st.none(), st.integers(1, 3))), min_size=0, max_size=14),
    sort=st.sampled_from(["name", "-name", "employees", "-employees", "created"]),
    limit=st.integers(1, 5),
    inserts=st.lists(st.tuples(st.sampled_from(NAMES), st.one_of(st.none(), st.integers(1, 3))), max_size=6),
)
def test_walking_every_cursor_page_reads_each_row_once_in_order_while_rows_are_added(db, rows, sort, limit, inserts):
    with transaction.atomic():
        before = {_new_client(name, employees).pk for name, employees in rows}
        listing = client_sorted(CorporateClient.objects.all(), sort)
        pending = list(inserts)
        seen, cursor = [], None
        while True:
            page = _page(listing, limit, cursor=cursor)
            assert (page["count"] is None) == (cursor is not None)  # a cursor page is not counted
            seen += [row.pk for row in page["items"]]
            cursor = page["next_cursor"]
            if pending:  # another client adds a row between two pages, anywhere in the order
                _new_client(*pending.pop())
            if not cursor:
                break
        assert len(seen) == len(set(seen)), "a row came twice"
        assert before <= set(seen), "a row that was there from the start was skipped"
        # In the list's order (as offset pages give it: empty values last): the walk is the full list of now,
        # restricted to the rows the walk read.
        now = [row.pk for row in keyset.ordered(listing, keyset.keys_of(listing))]
        assert seen == [pk for pk in now if pk in set(seen)]
        transaction.set_rollback(True)


@pytest.fixture
def clients(db):
    for n in range(40):
        _new_client(NAMES[n % 4], None if n % 5 == 0 else n % 3)
    return CorporateClient.objects.all()


@pytest.mark.parametrize("sort", ["name", "-employees", "created"])
def test_a_deep_cursor_page_is_the_offset_page_of_the_same_depth(clients, sort):
    listing = client_sorted(clients, sort)
    keys = keyset.keys_of(listing)
    everything = [row.pk for row in keyset.ordered(listing, keys)]  # the API's order: empty values last
    depth = 29
    cursor = keyset.cursor_after(keyset.ordered(listing, keys)[depth - 1], keys)
    by_cursor = _page(listing, 6, cursor=cursor)
    by_offset = _page(listing, 6, offset=depth)
    assert [r.pk for r in by_cursor["items"]] == [r.pk for r in by_offset["items"]] == everything[depth: depth + 6]
    assert by_cursor["next_cursor"] and by_offset["next_cursor"]


def test_a_deep_offset_reads_ids_first_and_gives_the_same_rows(clients, monkeypatch, django_assert_num_queries):
    listing = client_sorted(clients.select_related("distributor", "territory"), "-employees")
    shallow = [[r.pk for r in _page(listing, 7, offset=offset)["items"]] for offset in range(0, 40, 7)]
    monkeypatch.setattr(BoundedPagination, "DEEP_OFFSET", 7)
    with django_assert_num_queries(3):  # the ids of the page, its rows, the capped count
        _page(listing, 7, offset=14)
    with django_assert_num_queries(2):  # above DEEP_OFFSET: the page and the count, as always
        _page(listing, 7, offset=0)
    assert [[r.pk for r in _page(listing, 7, offset=offset)["items"]] for offset in range(0, 40, 7)] == shallow


def test_counts_stop_at_the_cap(clients, monkeypatch):
    assert _page(clients, 5) | {"items": None} == {"items": None, "count": 40, "count_is_capped": False,
                                                    "next_cursor": _page(clients, 5)["next_cursor"]}
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 25)
    page = _page(clients, 5)
    assert (page["count"], page["count_is_capped"], len(page["items"])) == (25, True, 5)


def test_a_cursor_page_costs_the_same_statements_at_any_depth_and_counts_nothing(world, api_as, clients):
    api = api_as(world.user("admin"))
    cursors, cursor = [], None
    while True:
        page = api.get("/api/v1/clients", {"limit": 5} | ({"cursor": cursor} if cursor else {})).json()
        cursor = page["next_cursor"]
        if not cursor:
            break
        cursors.append(cursor)
    assert len(cursors) >= 7
    costs = {_statements(api, {"limit": 5, "cursor": cursor}) for cursor in cursors}
    assert len(costs) == 1, costs
    assert costs.pop() == _statements(api, {"limit": 5, "offset": 5}) - 1  # the offset page's count


def _statements(api, params):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as queries:
        assert api.get("/api/v1/clients", params).status_code == 200
    return len(queries)


@pytest.mark.postgres_suite  # a PostgreSQL plan: make test-sqlite deselects it
def test_on_postgresql_a_cursor_page_reads_the_name_index_from_the_cursor_on(clients):
    listing = client_sorted(CorporateClient.objects.filter(archived_at__isnull=True), "name")
    keys = keyset.keys_of(listing)
    after = keyset.rows_after(keyset.ordered(listing, keys), keys, keyset.cursor_after(listing[20], keys))[:6]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # On a test-sized table any plan is cheap: a plan that still sorts means no index can give the order.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")  # nor half a sort on the one-column index
        plan = after.explain()
    # Read in order off (normalized_name, id), starting at the cursor's name: no sort, no walk from the start (the
    # index of every client or its partial twin of the live ones, which the default list's filter matches).
    assert ("clients_client_name_id" in plan or "clients_client_live_name" in plan) and "Sort" not in plan, plan
    assert "Index Cond: ((normalized_name)::text >=" in plan, plan


@pytest.mark.postgres_suite  # a PostgreSQL plan: make test-sqlite deselects it
def test_on_postgresql_a_deep_offset_skips_its_rows_in_the_live_name_index(clients):
    """The ids of a deep offset page of the default list (archived left out) are read off a (normalized_name, id)
    index (the partial one of the live clients at full size), not sorted: 211 ms → an index scan at 200k clients
    (issue 22)."""
    listing = client_sorted(CorporateClient.objects.filter(archived_at__isnull=True), "name")
    keys = keyset.keys_of(listing)
    ids = keyset.ordered(listing, keys).values_list("pk", flat=True)[20:26]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        plan = ids.explain()
    # Either name index gives the order; on a test-sized table the statistics decide whether the planner takes the
    # full one and filters out the archived rows, which is as good here: what must not happen is a sort.
    assert ("clients_client_live_name" in plan or "clients_client_name_id" in plan) and "Sort" not in plan, plan


def test_an_offset_past_the_cap_is_refused_and_the_cursor_of_the_last_offset_page_reads_on(world, api_as, clients):
    """Scenario (issue 22): ``GET /clients?offset=199900`` made the database order and skip 199,900 rows (30 ms where
    the cursor page of the same depth takes 0.5 ms). Offsets now stop at MAX_OFFSET (the count cap): a deeper one is
    refused with 422 on ``offset``, and every offset page answers the cursor that reads on from it."""
    from keychannel.core.pagination import MAX_OFFSET

    assert MAX_OFFSET == BoundedPagination.COUNT_CAP == 10_000
    api = api_as(world.user("admin"))
    for path in ("/api/v1/clients", "/api/v1/distributors", "/api/v1/opportunities", "/api/v1/sales-lines",
                 "/api/v1/goals", "/api/v1/support-budgets"):
        refused = api.get(path, {"limit": 5, "offset": MAX_OFFSET + 1})
        assert refused.status_code == 422, path
        assert any(error["loc"][-1] == "offset" for error in refused.json()["detail"]), refused.json()
        assert api.get(path, {"limit": 5, "offset": MAX_OFFSET}).status_code == 200, path
    first = api.get("/api/v1/clients", {"limit": 5, "offset": 5}).json()
    after = api.get("/api/v1/clients", {"limit": 5, "cursor": first["next_cursor"]}).json()
    assert [row["id"] for row in after["items"]] == [
        row["id"] for row in api.get("/api/v1/clients", {"limit": 5, "offset": 10}).json()["items"]]


def test_a_count_leaves_out_the_joins_of_related_columns_but_not_those_of_filters(db):
    """Scenario (issue 22): the segments list's count joined 100,001 clients only because its rows read the client's
    name (``client_name=F("client__legal_name")``): a join through a foreign key is one row per row, so the count
    now leaves it out, and keeps the joins its filters use."""
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext

    from keychannel.clients.models import Stakeholder
    from keychannel.core.pagination import capped_count
    from keychannel.deals.tests.factories import StakeholderFactory

    people = StakeholderFactory.create_batch(5)
    listing = Stakeholder.objects.values("id", "full_name", client_name=F("client__legal_name"))
    with CaptureQueriesContext(connection) as queries:
        assert capped_count(listing, 100) == (5, False)
        assert capped_count(listing, 3) == (3, True)
    assert not any("JOIN" in q["sql"] for q in queries.captured_queries), queries.captured_queries
    filtered = listing.filter(client__legal_name=people[0].client.legal_name)
    with CaptureQueriesContext(connection) as queries:
        assert capped_count(filtered, 100) == (1, False)
    assert "JOIN" in queries.captured_queries[0]["sql"]
    assert len(list(listing)) == 5

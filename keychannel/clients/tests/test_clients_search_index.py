"""The clients search's name predicate is served by the trigram index on PostgreSQL (migration clients 0006), and
the API's search reads the matching ids first, then sorts only those rows for the page (issue 22)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.clients import selectors
from keychannel.clients.models import CorporateClient
from keychannel.core.scoping import Principal
from keychannel.deals.tests.factories import ClientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_suite]


def _index_definition(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else ""


def test_the_name_search_predicate_has_its_trigram_index(world):
    """The search filters ``normalized_name LIKE '%…%'`` (and ``UPPER(code) = …``): a GIN trigram index serves
    the first, an expression index the second. (On a test-sized table the planner prefers a scan, so the check
    is on the indexes; bench/ measures them at 200k clients.)"""
    sql, _params = CorporateClient.objects.filter(selectors.client_search_filter("cimentul")).query.sql_with_params()
    assert '"normalized_name"::text LIKE' in sql and 'UPPER("clients_corporateclient"."code"' in sql, sql
    assert "USING gin (normalized_name gin_trgm_ops)" in _index_definition("clients_client_name_trgm")
    assert "(upper((code)::text))" in _index_definition("clients_client_code_upper")


def test_the_search_reads_the_matching_ids_first_then_sorts_only_those(world, api_as):
    """A term shorter than a trigram ("ci") cannot be read as a range plus the tail's trigram index
    (test_client_search_order.py): its matching ids are read first."""
    for n in range(30):
        ClientFactory(legal_name=f"{'Cimentul' if n % 10 == 0 else 'Alt'} Nord {n} SRL", distributor=world.own)
    principal = Principal.for_user(world.user("program_manager"))
    with CaptureQueriesContext(connection) as ids_read:
        listed = selectors.client_list(principal=principal, filters={"search": "ci"})
    assert len(ids_read) == 1 and "LIKE" in ids_read[0]["sql"]  # the ids, through the trigram predicate
    sql, _params = listed.query.sql_with_params()
    # the page: those rows only, the ids as one array parameter
    assert "LIKE" not in sql and '"clients_corporateclient"."id" = ANY(' in sql
    assert sorted(c.legal_name for c in listed) == ["Cimentul Nord 0 SRL", "Cimentul Nord 10 SRL", "Cimentul Nord 20 SRL"]

    api = api_as(world.user("program_manager"))
    api.get("/api/v1/me")

    def statements(params):
        with CaptureQueriesContext(connection) as queries:
            answer = api.get("/api/v1/clients", params)
        assert answer.status_code == 200
        return len(queries), answer.json()

    plain, _ = statements({"limit": 2})
    with CaptureQueriesContext(connection) as searched_sql:
        searched, page = statements({"limit": 2, "search": "ci"})
    # the ids first, sorted; then the page's rows by id: the count is len(ids) (issue 22: the matches were read a
    # second time for the page and a third time for the count)
    assert searched == plain
    assert not any("COUNT(" in q["sql"] for q in searched_sql.captured_queries)
    page_sql = searched_sql.captured_queries[-1]["sql"]
    assert "= ANY(" not in page_sql and page_sql.count(" IN (") == 1, page_sql
    assert page["count"] == 3 and [c["legal_name"] for c in page["items"]] == ["Cimentul Nord 0 SRL", "Cimentul Nord 10 SRL"]
    second, tail = statements({"limit": 2, "search": "ci", "offset": 2})
    assert second == plain and tail["count"] == 3 and [c["legal_name"] for c in tail["items"]] == ["Cimentul Nord 20 SRL"]
    # another order: the page's ids are read first in that order, then its rows; still no count
    _n, backwards = statements({"limit": 2, "search": "ci", "sort": "-name"})
    assert backwards["count"] == 3
    assert [c["legal_name"] for c in backwards["items"]] == ["Cimentul Nord 20 SRL", "Cimentul Nord 10 SRL"]
    following, rest = statements({"limit": 2, "search": "ci", "cursor": page["next_cursor"]})
    assert following == plain and [c["legal_name"] for c in rest["items"]] == ["Cimentul Nord 20 SRL"]


def test_a_filter_added_after_the_search_is_counted_again(world, api_as):
    """``updated_since`` filters the searched list after its ids were read: the known ids no longer tell the count."""
    import datetime

    from django.utils import timezone

    for n in range(3):
        ClientFactory(legal_name=f"Cimentul Vest {n} SRL", distributor=world.own)
    CorporateClient.objects.filter(legal_name="Cimentul Vest 0 SRL").update(
        updated_at=timezone.now() - datetime.timedelta(days=30))
    api = api_as(world.user("program_manager"))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    answer = api.get("/api/v1/clients", {"search": "cimentul", "updated_since": since, "limit": 1}).json()
    assert answer["count"] == 2 and answer["items"][0]["legal_name"] == "Cimentul Vest 1 SRL"


def test_a_common_term_is_filtered_in_the_list_order_instead(world, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_IDS_FIRST", 2)
    for n in range(4):
        ClientFactory(legal_name=f"Cimentul {n} SRL", distributor=world.own)
    principal = Principal.for_user(world.user("program_manager"))
    listed = selectors.client_list(principal=principal, filters={"search": "ci"})
    assert "LIKE" in str(listed.query) and listed.count() == 4


def test_the_ids_of_a_search_are_read_off_the_trigram_index(world):
    ClientFactory(legal_name="Cimentul SRL", distributor=world.own)
    ids = CorporateClient.objects.filter(selectors.client_search_filter("cimentul")).order_by().values_list("pk")[:5]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = ids.explain()
    assert "clients_client_name_trgm" in plan and "clients_client_code_upper" in plan, plan

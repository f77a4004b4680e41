"""The clients search reads its page in list order at a cost that does not grow with the matches (issue 22), and
shows exactly the rows, in exactly the order, of the plain filter (``client_search_filter``) sorted by name."""

import pytest
from django.db import connection
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from keychannel.clients import selectors
from keychannel.clients.models import CorporateClient
from keychannel.core.scoping import Principal
from keychannel.deals.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NAMES = ["Cimentul Nord {n} SRL", "Alt Cimentul {n} SA", "Precimentul {n} SRL", "Ciment Vest {n} SRL",
         "Cimentul {n} Grup SRL", "Beton {n} SRL", "Zeta Ciment {n} SRL"]
TERMS = ["cimentul", "ciment", "iment", "cimentul nord", "CIMENTUL", "Ciment Vest", "beton", "zeta", "ci",
         "pre", "BXCIMENT", "7123", "nothing here"]


def _book(world):
    if not CorporateClient.objects.filter(code="BXCIMENT").exists():
        for n in range(21):
            ClientFactory(legal_name=NAMES[n % len(NAMES)].format(n=n), tax_id=f"7123{n:04d}",
                          distributor=world.own if n % 3 else world.other, code=f"C{n:03d}")
        ClientFactory(legal_name="Omega SRL", code="BXCIMENT", distributor=world.own)
        archived = ClientFactory(legal_name="Cimentul Vechi SRL", distributor=world.own)
        CorporateClient.objects.filter(pk=archived.pk).update(archived_at=archived.created_at)


def _expected(principal, term, archived=False):
    qs = CorporateClient.objects.visible_to(principal).filter(archived_at__isnull=not archived)
    return list(qs.filter(selectors.client_search_filter(term)).order_by(Lower("normalized_name"), "pk")
                .values_list("legal_name", flat=True))


@pytest.mark.parametrize("role", ["program_manager", "dist_head"])
def test_every_page_of_a_search_shows_the_plain_filters_rows_in_name_order(world, api_as, role):
    _book(world)
    api = api_as(world.user(role))
    principal = Principal.for_user(world.user(role))
    for term in TERMS:
        expected = _expected(principal, term)
        first = api.get("/api/v1/clients", {"search": term, "limit": 4}).json()
        assert first["count"] == len(expected), term
        assert [c["legal_name"] for c in first["items"]] == expected[:4], term
        second = api.get("/api/v1/clients", {"search": term, "limit": 4, "offset": 4}).json()
        assert [c["legal_name"] for c in second["items"]] == expected[4:8], term
        if first["next_cursor"]:
            following = api.get("/api/v1/clients", {"search": term, "limit": 4, "cursor": first["next_cursor"]})
            assert [c["legal_name"] for c in following.json()["items"]] == expected[4:8], term
        backwards = api.get("/api/v1/clients", {"search": term, "limit": 50, "sort": "-name"}).json()
        assert [c["legal_name"] for c in backwards["items"]] == expected[::-1], term
    archived = api.get("/api/v1/clients", {"search": "cimentul", "archived": "true"}).json()
    assert [c["legal_name"] for c in archived["items"]] == _expected(principal, "cimentul", archived=True)


@pytest.mark.postgres_suite
def test_the_names_that_start_with_the_term_are_a_range_of_the_name_index(world, api_as):
    """The page and the count read the names that start with the term as a range of the name index, and the
    whole-name trigram predicate (``LIKE '%term%'``, every match rechecked on the heap and sorted) is in no
    statement: the other matches come through the trigram index of the name's tail (clients 0014)."""
    _book(world)
    api = api_as(world.user("program_manager"))
    api.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        page = api.get("/api/v1/clients", {"search": "cimentul", "limit": 2}).json()
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any("\"normalized_name\"::text LIKE '%cimentul%'" in sql for sql in statements), statements
    assert any("SUBSTRING(\"clients_corporateclient\".\"normalized_name\", 2)::text LIKE '%cimentul%'" in sql
               for sql in statements), statements
    ranged = [sql for sql in statements if "\"normalized_name\" >= 'cimentul'" in sql
              and "\"normalized_name\" < 'cimentum'" in sql]
    assert len(ranged) == 2, statements  # the page and its count
    assert page["count"] == len(_expected(Principal.for_user(world.user("program_manager")), "cimentul"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'clients_client_name_tail_trgm'")
        assert "gin (\"substring\"((normalized_name)::text, 2) gin_trgm_ops)" in cursor.fetchone()[0]
        # the range's rows are estimated from a finer histogram (default 100 buckets: one row where 3,001 match)
        cursor.execute("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'clients_corporateclient'::regclass"
                       " AND attname = 'normalized_name'")
        assert cursor.fetchone()[0] == 300  # (not more: every name pattern is estimated against each entry)

"""Two reads of the clients table answered by an index alone on PostgreSQL (issue 22, clients 0013):

- the capped count of a reach's live clients (``selectors.client_count``: the channel manager's home figure "Clients
  you can see", the clients list's count for a distributor set) visited the heap of each of its 10,001 rows to test
  ``archived_at`` (7-20 ms at 200k clients): the partial index ``clients_client_live_dist`` answers it;
- the duplicate check's candidates (``selectors.client_matches``) were a BitmapOr over the two name key indexes and a
  heap fetch of each candidate (3,001 for a common key, about 6.5 ms): one SELECT per key column, each an index-only
  scan of a covering index, fetch the same candidates.
"""

import itertools
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from keychannel.clients import duplicates, selectors
from keychannel.clients.matching import name_keys, normalize_company_name
from keychannel.clients.models import CorporateClient
from keychannel.clients.search import orders_by_code_point
from keychannel.core.scoping import Principal
from keychannel.deals.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

WORDS = ["Carpat", "Carpati", "Beton", "Betoane", "Termo", "Lieuvi", "Nord", "Impex", "Construct", "Alpha"]


@pytest.fixture
def named_clients(world):
    """Names made of a few words, so that name keys are shared across both key columns; one of them archived."""
    clients = []
    for n, (a, b) in enumerate(itertools.permutations(WORDS[:7], 2)):
        clients.append(ClientFactory(legal_name=f"{a} {b} SRL", distributor=[world.own, world.other, None][n % 3]))
    CorporateClient.objects.filter(pk=clients[0].pk).update(archived_at="2026-01-01T00:00:00Z")
    return clients


def _or_candidates(normalized, tax, exclude_id):
    """The statement the matcher read its candidates with before: one SELECT with the conditions ORed."""
    condition = Q(tax_id=tax) if tax else Q()
    for key in {k for k in name_keys(normalized) if k}:
        condition |= Q(name_key=key) | Q(name_key2=key)
    if not condition:
        return []
    qs = CorporateClient._base_manager.filter(condition).order_by()
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return sorted(qs.values_list("pk", "normalized_name", "tax_id"))


def test_the_candidates_are_those_the_or_of_the_conditions_selected(named_clients):
    """Recall unchanged: for every probe (two or three words of the pool, typed with another legal form, with or
    without an existing tax id, with or without a client left out) the UNION reads the rows the OR read."""
    probes = [" ".join(words) + " S.A." for words in itertools.permutations(WORDS, 2)]
    probes += ["Termo Lieuvi Impex S.R.L.", "Impex", "Construct Impex", "", "Zzz Qqq"]
    taxes = ["", named_clients[3].tax_id.removeprefix("RO"), "99999999"]
    checked = 0
    for n, name in enumerate(probes):
        normalized = normalize_company_name(name)
        tax = taxes[n % 3]
        exclude_id = named_clients[n % len(named_clients)].pk if n % 4 == 0 else None
        expected = _or_candidates(normalized, tax, exclude_id)
        assert duplicates._candidates(normalized, tax, exclude_id) == expected, name
        checked += bool(expected)
    assert checked > len(probes) // 2  # most probes found something: the comparison was not of empty lists


def test_the_candidates_stop_at_the_cap_counting_each_client_once(named_clients, monkeypatch):
    """A client found by both key columns (or by its tax id and a key) counts once towards MAX_CANDIDATES."""
    normalized = normalize_company_name("Carpat Beton")
    everything = _or_candidates(normalized, "", None)
    monkeypatch.setattr(duplicates, "MAX_CANDIDATES", len(everything) - 1)
    assert len(duplicates._candidates(normalized, "", None)) == len(everything) - 1
    monkeypatch.setattr(duplicates, "MAX_CANDIDATES", len(everything))
    assert duplicates._candidates(normalized, "", None) == everything


def test_a_common_key_is_narrowed_by_the_other_keys_first_letter(world, monkeypatch):
    """Past COMMON_KEY_CLIENTS clients, a key's block keeps those whose other key starts as the entered name's other
    key does (issue 22: 3,001 candidates for the bench's "term" at 200k clients, now a constant share of them); the
    near-duplicate with a swapped pair of letters is still found, and below the limit the whole block is read."""
    for n, word in enumerate(["Lituvi", "Lamoti", "Lezeta", "Ramota", "Sovila", "Tarabu"]):  # key2: litu, lamo, …
        ClientFactory(legal_name=f"Termo {word} SRL", distributor=world.own, tax_id=f"8800{n:04d}")
    normalized = normalize_company_name("Termo Ltiuvi S.R.L.")  # "lituvi" with two letters swapped
    names = lambda: sorted(name for _pk, name, _tax in duplicates._candidates(normalized, "", None))  # noqa: E731
    assert names() == ["termo lamoti", "termo lezeta", "termo lituvi", "termo ramota", "termo sovila", "termo tarabu"]
    monkeypatch.setattr(duplicates, "COMMON_KEY_CLIENTS", 5)
    assert names() == ["termo lamoti", "termo lezeta", "termo lituvi"]
    original = CorporateClient.objects.get(normalized_name="termo lituvi")
    assert selectors.client_matches(legal_name="Termo Ltiuvi S.R.L.") == [(original.pk, 92, "name")]
    only_key = normalize_company_name("Termo SRL")  # no other key: the whole block
    assert len(duplicates._candidates(only_key, "", None)) == 6


def _statement(call) -> str:
    with CaptureQueriesContext(connection) as queries:
        call()
    assert len(queries) == 1, queries.captured_queries
    return queries[0]["sql"]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # On a test-sized table every plan is cheap: with sequential and bitmap scans priced out, a plan that still
        # fetches rows from the heap means no index holds what the statement reads.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres_suite  # a PostgreSQL plan: make test-sqlite deselects it
def test_on_postgresql_the_duplicate_candidates_are_read_off_the_covering_key_indexes(named_clients):
    orders_by_code_point()  # asked once per process: not this statement's
    sql = _statement(lambda: selectors.client_matches(legal_name="Termo Lieuvi Impex S.R.L."))
    plan = _plan(sql)
    # Every branch reads a covering key index alone, no heap. Which of the two serves the first branch depends on the
    # statistics: at full size key1_pair by its key; on a test-sized table the planner may walk key2_pair, which
    # also holds name_key, and filter (it did in a full run), which reads no heap either. The blocks' counts too.
    scans = [line for line in plan.splitlines() if "Scan" in line]
    assert len(scans) >= 2 and all(re.search(r"Index Only Scan using clients_client_key[12]_pair", line)
                                   for line in scans), plan
    assert "Index Only Scan using clients_client_key2_pair" in plan, plan
    assert "Seq Scan" not in plan and "Bitmap" not in plan and "Index Scan" not in plan, plan


@pytest.mark.postgres_suite
@pytest.mark.parametrize("inline_max", [50, 0], ids=["reach inline", "reach as a subquery"])
def test_on_postgresql_the_live_clients_of_a_reach_are_counted_off_the_partial_index(
        named_clients, world, settings, inline_max):
    """At full size a channel manager's reach is past KEYCHANNEL_REACH_INLINE_MAX (a subquery); both forms count
    the live clients in an index-only scan, no heap row visited for ``archived_at``."""
    settings.KEYCHANNEL_REACH_INLINE_MAX = inline_max
    principal = Principal.for_user(world.user("channel_manager"))
    expected = CorporateClient.objects.filter(distributor=world.own, archived_at__isnull=True).count()
    assert selectors.client_count(principal) == expected > 0
    plan = _plan(_statement(lambda: selectors.client_count(principal)))
    assert "Index Only Scan using clients_client_live_dist on clients_corporateclient" in plan, plan
    assert "Filter: (archived_at IS NULL)" not in plan, plan

"""The global search on PostgreSQL: ``kc_fold`` in SQL agrees with ``core.text.fold``, and the large tables'
name predicates are served by their GIN trigram indexes (migrations clients 0006/0008, deals 0010)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.clients.tests.factories import ClientFactory, StakeholderFactory
from keychannel.core import search as search_module
from keychannel.core.search import search
from keychannel.core.text import fold
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.network.tests.factories import DistributorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_suite]


def test_sql_fold_agrees_with_python_fold():
    samples = ["Tehnoplast Braşov S.R.L.", "ȘTEFAN Țîrlea", "Ţesătoria Mureş", "Île-de-France: Éloïse Müller",
               "Łódź & Kraków", "  a__b--c  ", "Înăltarea Â", "123 ABC"]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute("SELECT kc_fold(%s)", [text])
            assert cursor.fetchone()[0] == fold(text), text


def _plan(principal, text, types=None):
    """The plan of the search's one statement with sequential and plain index scans switched off: a bitmap scan of
    an index whose expression the predicate matches is then the only cheap way to read the table (a test-sized
    table would otherwise be scanned). bench/bench_search.py shows the planner choosing it by itself on the bench
    data."""
    with CaptureQueriesContext(connection) as captured:
        search(principal, text, types=types)
    assert len(captured.captured_queries) == 1
    sql = captured.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_name_predicates_use_the_trigram_indexes(world):
    """The plan must name the trigram index (it could not if the predicate did not match the indexed expression),
    for one type and inside the UNION ALL of every type, where each branch keeps its own index."""
    client = ClientFactory(legal_name="Tehnoplast Brașov SRL", distributor=world.own)
    StakeholderFactory(client=client, full_name="Ștefan Țîrlea")
    OpportunityFactory(client=client, title="Compresoare Brașov", owner=world.users["dist_sales"])
    principal = world.principal("admin")
    search(principal, "warm")  # the principal's scope is read once (auth), not in the statement
    assert "clients_stakeholder_name_fold_trgm" in _plan(principal, "stefan tirlea", ["stakeholders"])
    assert "deals_opportunity_title_fold_trgm" in _plan(principal, "compresoare", ["deals"])
    assert "clients_client_name_trgm" in _plan(principal, "tehnoplsat", ["clients"])
    every = _plan(principal, "tehnoplsat")
    for index in ("clients_client_name_trgm", "clients_stakeholder_name_fold_trgm", "deals_opportunity_title_fold_trgm"):
        assert index in every, every


def test_distributor_names_use_their_trigram_indexes_too(world):
    """Distributors (3,000 at the issue-10 size) were scanned, each row folded by kc_fold for every predicate (190 ms
    a search): their name, code and city are indexed too (network 0010)."""
    DistributorFactory(legal_name="Compresoare Tehnice SRL")
    admin = world.principal("admin")
    search(admin, "warm")
    assert "network_distributor_name_fold_trgm" in _plan(admin, "compresoare", ["distributors"])


def test_kc_fold_is_plpgsql_without_a_setting_and_folds_ascii_and_accents_alike():
    """0010: no SET clause (a save and restore of search_path on every call), never inlined (PL/pgSQL: the planner
    keeps its cost and reads the indexes), and the ASCII shortcut folds as the full translate does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT l.lanname, p.proconfig, p.procost FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                       "WHERE p.proname = 'kc_fold'")
        assert cursor.fetchone() == ("plpgsql", None, 1000)
        for text in ("Plain ASCII, S.R.L. -- 42", "Ășa și ŞA", "x" * 300 + "ț"):
            cursor.execute("SELECT kc_fold(%s)", [text])
            assert cursor.fetchone()[0] == fold(text)


def test_a_common_name_never_crowds_out_the_exact_one(world, monkeypatch):
    """Stakeholders and deals rank at most BOUNDED rows containing the query and BOUNDED others matching, not every
    match ("industrial" is in a quarter of the bench's 300,000 deal titles: 2.6 s to fold and rank them all). The
    exact name is among the rows containing the query, so a crowd of near matches cannot push it out."""
    monkeypatch.setattr(search_module, "BOUNDED", 3)
    client = ClientFactory(legal_name="Diaconu Impex SRL", distributor=world.own)
    for first in ("Ana", "Ion", "Maria", "Dan", "Elena", "Radu", "Ioana", "Mihai"):
        StakeholderFactory(client=client, full_name=f"{first} Diaconu")
    StakeholderFactory(client=client, full_name="Vlad Diaconu")
    admin = world.principal("admin")
    search(admin, "warm")  # the principal's scope is read once (auth), not in the statement
    with CaptureQueriesContext(connection) as captured:
        groups = search(admin, "Vlad Diaconu", types=["stakeholders"])
    assert len(captured.captured_queries) == 1
    assert groups[0].hits[0].title == "Vlad Diaconu"
    assert len(groups[0].hits) <= 2 * 3

"""The clients search's name predicate is served by the trigram index on PostgreSQL (migration clients 0006)."""

import pytest
from django.db import connection

from keychannel.clients import selectors
from keychannel.core.scoping import Principal

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
    principal = Principal.for_user(world.user("program_manager"))
    sql, _params = selectors.client_list(principal=principal, filters={"q": "cimentul"}).query.sql_with_params()
    assert '"normalized_name"::text LIKE' in sql and 'UPPER("clients_corporateclient"."code"' in sql, sql
    assert "USING gin (normalized_name gin_trgm_ops)" in _index_definition("clients_client_name_trgm")
    assert "(upper((code)::text))" in _index_definition("clients_client_code_upper")

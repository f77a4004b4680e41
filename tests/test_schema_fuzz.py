"""Schema fuzzing: schemathesis drives every API operation in-process, as two very different callers.

The OpenAPI document comes from the one NinjaAPI (``keychannel.api.api``); requests go through the real
WSGI application (middleware, auth, exception handlers) into the test database, which holds the
``world`` of ``tests/world.py``. Every operation is run as a manufacturer admin (reaches the whole
network) and as a distributor salesperson (reaches one distributor, writes little), each with its own bearer
token. The world and the two tokens are made once for the module, in an outer transaction; each operation's test runs
in a savepoint of it and rolls its writes back (as the access matrix does).

Checks, for every generated request:

- ``not_a_server_error``: never a 5xx, whatever the input;
- ``status_code_conformance``: the status code is documented for that operation;
- ``content_type_conformance`` and ``response_schema_conformance``: the body is what the schema says.

Generation is bounded and reproducible: ``MAX_EXAMPLES`` examples per operation and role, derandomized
(the same inputs on every run), no shrinking phase beyond what a failure needs, no example database.
Set ``KEYCHANNEL_FUZZ_EXAMPLES`` to fuzz harder locally (e.g. 200).

It runs on PostgreSQL only (``make test-postgres``; ``make test-sqlite`` deselects the ``postgres_suite``
marker): the requests and checks do not depend on the database, and PostgreSQL is the stricter one (NUL
bytes, types, lengths).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from keychannel.api import api
from keychannel.core import services
from keychannel.core.scoping import Principal
from keychannel.wsgi import application
from tests.fast import fast_settings
from tests.world import build_world

MAX_EXAMPLES = int(os.environ.get("KEYCHANNEL_FUZZ_EXAMPLES", "10"))
ROLES = ["admin", "dist_sales"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations that would end the caller's own session mid-run: revoking the token in use is fuzzed, but
# with a token of its own (see ``_headers``), so the other examples keep theirs.
OWN_TOKEN_OPERATIONS = {("DELETE", "/api/v1/auth/token")}

pytestmark = pytest.mark.postgres_suite

# schemathesis runs, for every operation, its coverage scenarios (boundary values, about 20 valid and 47 invalid
# requests an operation) as explicit examples, then MAX_EXAMPLES generated ones. The invalid ones (a wrong type, a
# missing or unknown field, a wrong method) are asked as the admin only: they are about the request's shape, which
# ninja checks before any view or policy runs, and they were about 60 % of the fuzzing's requests (measured on the
# clients operations: the two roles got the same answers to every one of them). Every operation still gets, as
# both roles, its valid coverage scenarios and its generated examples, valid and invalid (docs/testing.md).
NEGATIVE_COVERAGE_ROLES = {"admin"}


def _is_negative_coverage(case) -> bool:
    meta = case.meta
    return meta is not None and meta.phase.name == TestPhase.COVERAGE and meta.generation.mode == GenerationMode.NEGATIVE


# The API documents the error answers every operation can give (see ``KeychannelAPI.get_openapi_schema``).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = application


def _token(user) -> str:
    _obj, raw = services.api_token_create(principal=Principal.for_user(user), name="fuzz")
    return raw


@pytest.fixture
def in_process_requests():
    """Keep the test transaction's connection across requests, as Django's own test client does.

    schemathesis calls the WSGI application directly, so ``request_started``/``request_finished`` fire and
    ``close_old_connections`` would close the connection that holds the test transaction (PostgreSQL).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """One world and one token per role for every operation, inside an outer transaction rolled back at the end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with fast_settings():  # the users' passwords hashed as in every test (MD5)
                world = build_world()
            yield world, {role: _token(world.user(role)) for role in ROLES}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(fuzz_world, db):
    world, _tokens = fuzz_world
    for obj in (world.own, world.other, world.territory, world.product_line, *world.users.values()):
        obj.refresh_from_db()
    return world


@pytest.fixture
def tokens(fuzz_world, in_process_requests):
    return fuzz_world[1]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_api_conforms_to_its_schema(case, role, world, tokens):
    if role not in NEGATIVE_COVERAGE_ROLES and _is_negative_coverage(case):
        return
    key = (case.method.upper(), case.path)
    token = _token(world.user(role)) if key in OWN_TOKEN_OPERATIONS else tokens[role]
    headers = {"Authorization": f"Bearer {token}"}
    # Each request in its own savepoint, as each has its own transaction in production: a statement the database
    # refuses (a number too large for bigint, answered 422 by keychannel/api.py's DataError handler) aborts only that
    # request's writes, not every later example of the test, which share the test's transaction.
    request_savepoint = transaction.savepoint()
    response = case.call(headers=headers)
    try:
        transaction.savepoint_commit(request_savepoint)
    except DatabaseError:  # the transaction was aborted by a refused statement: back to before this request
        transaction.savepoint_rollback(request_savepoint)
    case.validate_response(response, checks=CHECKS, headers=headers)

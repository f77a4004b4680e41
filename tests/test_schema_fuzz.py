"""Schema fuzzing: schemathesis drives every API operation in-process, as two very different callers.

The OpenAPI document comes from the one NinjaAPI (``keychannel.api.api``); requests go through the real
WSGI application (middleware, auth, exception handlers) into the test database, which holds the
``world`` of ``tests/world.py``. Every operation is run as a manufacturer admin (reaches the whole
network) and as a distributor salesperson (reaches one distributor, writes little), each with a fresh
bearer token.

Checks, for every generated request:

- ``not_a_server_error``: never a 5xx, whatever the input;
- ``status_code_conformance``: the status code is documented for that operation;
- ``content_type_conformance`` and ``response_schema_conformance``: the body is what the schema says.

Generation is bounded and reproducible: ``MAX_EXAMPLES`` examples per operation and role, derandomized
(the same inputs on every run), no shrinking phase beyond what a failure needs, no example database.
Set ``KEYCHANNEL_FUZZ_EXAMPLES`` to fuzz harder locally (e.g. 200).
"""

from __future__ import annotations

import os
import warnings

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from keychannel.api import api
from keychannel.core import services
from keychannel.core.scoping import Principal
from keychannel.wsgi import application

MAX_EXAMPLES = int(os.environ.get("KEYCHANNEL_FUZZ_EXAMPLES", "10"))
ROLES = ["admin", "dist_sales"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations that would end the caller's own session mid-run: revoking the token in use is fuzzed, but
# with a token of its own (see ``_headers``), so the other examples keep theirs.
OWN_TOKEN_OPERATIONS = {("DELETE", "/api/v1/auth/token")}


def _error_content(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


STANDARD_ERRORS = {
    "400": ("The body is not valid JSON", "ErrorOut"),
    "401": ("Authentication required", "ErrorOut"),
    "403": ("Not allowed", "ErrorOut"),
    "404": ("Not found (or not visible to the caller)", "ErrorOut"),
    "422": ("Invalid input, with field errors", "ValidationErrorOut"),
}


def standard_error_responses(doc: dict) -> dict:
    """Document the error responses the API's exception handlers give every operation.

    The handlers in ``keychannel/api.py`` answer 401 (no or bad credentials), 403 (``PermissionDenied``),
    404 (``Http404``, also for records the caller may not see) and 422 (ninja's input validation and
    ``ValidationError`` from services) for any operation, but ninja only documents what each operation
    declares. Until ``keychannel/api.py`` adds them itself (findings F1 and F2 of issue 10), this adds,
    where an operation does not declare them already: 401, 403 and 404 to secured operations, 422 to
    operations with parameters or a body, 400 (unparseable JSON) to operations with a body. Bodies keep
    the documented error shapes, so the schema checks still hold them to ``{"detail": ...}``.
    """
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorOut", {"type": "object", "properties": {"detail": {"type": "string"}},
                                    "required": ["detail"]})
    schemas.setdefault("FieldErrorItem", {
        "type": "object", "required": ["loc", "msg"],
        "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                       "msg": {"type": "string"}, "type": {"type": "string"}},
    })
    schemas.setdefault("ValidationErrorOut", {
        "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/FieldErrorItem"}}},
    })
    for operations in doc["paths"].values():
        for operation in operations.values():
            responses = {str(code): value for code, value in operation.get("responses", {}).items()}
            params = operation.get("parameters") or []
            wanted = set()
            if operation.get("security"):
                wanted |= {"401", "403", "404"}
            if params or operation.get("requestBody"):
                wanted.add("422")
            if operation.get("requestBody"):
                wanted.add("400")
            for code in sorted(wanted - set(responses)):
                description, ref = STANDARD_ERRORS[code]
                responses[code] = {"description": description, "content": _error_content(ref)}
            operation["responses"] = responses
    return doc


schema = schemathesis.openapi.from_dict(standard_error_responses(api.get_openapi_schema(path_prefix="/api/v1")))
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


@pytest.fixture
def tokens(world, in_process_requests):
    return {role: _token(world.user(role)) for role in ROLES}


# Findings of this test in code this file may not change, each reported in issue 10 with a fix. While a
# finding is open, a response that matches it exactly is let through with a warning (everything else about
# the operation is still checked); ``test_known_findings_reproduce`` shows in the summary (XPASS) once the
# fix is in, and the entry here can go.
INT64 = 2**63 - 1


def _ints(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, str):
        try:
            yield int(value)
        except ValueError:
            pass
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ints(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _ints(item)


def _has_huge_int(case) -> bool:
    values = [case.query or {}, case.path_parameters or {}]
    if isinstance(case.body, dict | list):
        values.append(case.body)
    return any(abs(n) > INT64 for v in values for n in _ints(v))


def _has_non_integer_path_parameter(case) -> bool:
    integer_params = {
        p["name"] for p in case.operation.definition.raw.get("parameters", [])
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    }
    for name, value in (case.path_parameters or {}).items():
        if name in integer_params and (isinstance(value, bool) or not str(value).isdigit()):
            return True
    return False


KNOWN_FINDINGS = {
    "F3": (
        "an integer beyond 64 bits in a query, path or body parameter is passed to the database; SQLite "
        "raises OverflowError -> 500 (fix: 422 handler for OverflowError/DataError in keychannel/api.py)",
        lambda case, response: response.status_code == 500 and _has_huge_int(case),
    ),
    "F4": (
        "a path segment that does not match an <int:...> converter (not digits: -1, null) never reaches ninja: Django's handler404 "
        "answers with the HTML error page instead of JSON (fix: JSON 404 for /api/ in core.auth_views.not_found)",
        lambda case, response: response.status_code == 404
        and "json" not in response.headers.get("content-type", [""])[0]
        and _has_non_integer_path_parameter(case),
    ),
    "F5": (
        "the lockout answer of the token endpoint is axes' HTML page with status 429, not JSON and not "
        "documented (fix: AXES_LOCKOUT_CALLABLE answering JSON under /api/, and 429 on POST /auth/token)",
        lambda case, response: response.status_code == 429 and case.path == "/api/v1/auth/token"
        and "json" not in response.headers.get("content-type", [""])[0],
    ),
}


def known_finding(case, response) -> str | None:
    for key, (_text, matches) in KNOWN_FINDINGS.items():
        if matches(case, response):
            return key
    return None


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
    key = (case.method.upper(), case.path)
    token = _token(world.user(role)) if key in OWN_TOKEN_OPERATIONS else tokens[role]
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(headers=headers)
    finding = known_finding(case, response)
    if finding:
        warnings.warn(f"known finding {finding} ({case.method} {case.path}): {KNOWN_FINDINGS[finding][0]}",
                      stacklevel=1)
        return
    case.validate_response(response, checks=CHECKS, headers=headers)


SQLITE = django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
OPEN = pytest.mark.xfail(reason="open finding of issue 10 (see KNOWN_FINDINGS)", strict=False)


@pytest.mark.django_db
@pytest.mark.parametrize(("finding", "url"), [
    # PostgreSQL compares a bigint column with a numeric parameter without complaint: SQLite only.
    pytest.param("F3", "/api/v1/distributors?territory_id=-117231794155834605568",
                 marks=OPEN if SQLITE else pytest.mark.skip(reason="F3 is SQLite only")),
    pytest.param("F4", "/api/v1/distributors/null", marks=OPEN),
])
def test_known_findings_reproduce(world, api_as, finding, url):
    """Each open finding, reduced to one request: XPASS here means it is fixed and can leave KNOWN_FINDINGS."""
    response = api_as(world.user("admin")).get(url)
    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")

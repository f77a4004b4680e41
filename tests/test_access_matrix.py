"""Walk every route × role × side and check the status; and check that no route is left without cases."""

import json
import os
import zlib

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.urls import path, reverse

from keychannel.core import services
from keychannel.core.scoping import Principal
from tests.access import (
    ALL_ROLES,
    ANONYMOUS,
    DISTRIBUTOR,
    MANUFACTURER,
    expected_status,
    incomplete_routes,
    load_routes,
    missing_routes,
)
from tests.world import build_world

ROUTES = load_routes()


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    """One world for the whole matrix, inside an outer transaction; each case runs in a savepoint of it.

    Building the world costs more than most cases, and the matrix has thousands of them.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(matrix_world, db):
    # Each case rolls its database changes back; drop what a case may have changed in memory as well.
    matrix_world.cache.clear()
    for obj in (matrix_world.own, matrix_world.other, matrix_world.territory, matrix_world.product_line,
                *matrix_world.users.values()):
        obj.refresh_from_db()
    return matrix_world
# The full matrix runs on PostgreSQL (the production database); on SQLite a sample of it: per route, one
# manufacturer role and one distributor role, rotated by the route's key so that over all routes every role is
# exercised. Set KEYCHANNEL_FULL_MATRIX=1 to run the full matrix on SQLite too.
FULL_MATRIX = (
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    or os.environ.get("KEYCHANNEL_FULL_MATRIX") == "1"
)


def sampled_roles(route) -> list[str]:
    if FULL_MATRIX:
        return ALL_ROLES
    spin = zlib.crc32(route.key.encode())
    return [MANUFACTURER[spin % len(MANUFACTURER)], DISTRIBUTOR[spin % len(DISTRIBUTOR)]]


CASES = [
    pytest.param(route, role, side, id=f"{route.key}|{role}|{side}")
    for route in ROUTES
    for role in sampled_roles(route)
    for side in route.sides
]


def test_the_sample_covers_every_role():
    """On SQLite the sample still reaches every signed-in role, on pages and on the API."""
    for kind in (True, False):
        roles = {role for route in ROUTES if bool(route.api) == kind for role in sampled_roles(route)}
        assert roles >= set(MANUFACTURER) | set(DISTRIBUTOR), sorted(roles)


def test_every_route_has_cases():
    missing = missing_routes(ROUTES)
    assert not missing, f"routes without access cases: {sorted(missing)}"


def test_every_case_names_every_role_and_side():
    assert incomplete_routes(ROUTES) == []


def _extra_view(request):  # pragma: no cover - only resolved, never called
    raise AssertionError


urlpatterns_with_extra = [path("undeclared/", _extra_view, name="undeclared_page")]


def test_an_undeclared_route_is_reported(settings):
    """The guard itself: a URL pattern nobody declared shows up as missing."""
    import keychannel.urls

    module = type(keychannel.urls)("extra_urls")
    module.urlpatterns = list(keychannel.urls.urlpatterns) + urlpatterns_with_extra
    assert "undeclared_page" in missing_routes(ROUTES, urlconf=module)
    assert "undeclared_page" not in missing_routes(ROUTES)


@pytest.fixture(scope="module")
def credentials(matrix_world, django_db_blocker):
    """One session and one API token per role for the whole matrix (made in the outer transaction)."""
    made = {}
    with django_db_blocker.unblock():
        for role in ALL_ROLES:
            if role == ANONYMOUS:
                continue
            user = matrix_world.user(role)
            page = Client()
            page.force_login(user)
            _token, raw = services.api_token_create(principal=Principal.for_user(user), name="matrix")
            made[role] = (page.cookies[django_settings.SESSION_COOKIE_NAME].value, raw)
    return made


def _client_for(credentials, role):
    client = Client()
    if role != ANONYMOUS:
        # A fresh client per case: a case that logs out or rotates the session cannot leak into the next.
        client.cookies[django_settings.SESSION_COOKIE_NAME] = credentials[role][0]
    return client


def _api_client_for(credentials, role):
    if role == ANONYMOUS:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {credentials[role][1]}")


@pytest.mark.parametrize(("route", "role", "side"), CASES)
def test_access(world, credentials, route, role, side):
    params = route.params(world, side) if route.params else {}
    body = route.body(world, side) if route.body else None
    if route.api:
        client = _api_client_for(credentials, role)
        url = route.api.split(" ", 1)[1].format(**params)
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        response = client.generic(route.method, url, **kwargs)
    else:
        client = _client_for(credentials, role)
        url = reverse(route.name, kwargs=params or None)
        response = client.post(url, body or {}) if route.method == "POST" else client.get(url)
    expected = expected_status(route, role, side)
    assert response.status_code == expected, (
        f"{route.method} {url} as {role} ({side}): {response.status_code}, expected {expected}"
    )

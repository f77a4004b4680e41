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
    PUBLIC_API,
    PUBLIC_PAGES,
    anonymous_is_default,
    api_operations_without_security,
    expected_status,
    incomplete_routes,
    load_routes,
    missing_routes,
    pages_without_login,
)
from tests.fast import fast_settings
from tests.shared_world import restore_attributes
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
            with fast_settings():  # the users' passwords hashed as in every test (MD5), not 1M PBKDF2 rounds
                world = build_world()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


_AS_STORED: dict[int, list] = {}  # id(world) -> [(object, its attributes as the database holds them)]


@pytest.fixture
def world(matrix_world, credentials, db):
    """Each case rolls its database changes back; what a case may have changed in memory goes back as well.

    The first case reads the objects from the database (after ``credentials`` signed everybody in) and keeps their
    attributes; every later case puts those back in memory, without a query (related objects are read again).
    """
    matrix_world.cache.clear()
    objects = (matrix_world.own, matrix_world.other, matrix_world.territory, matrix_world.product_line,
               *matrix_world.users.values())
    stored = _AS_STORED.get(id(matrix_world))
    if stored is None:
        for obj in objects:
            obj.refresh_from_db()
        stored = _AS_STORED[id(matrix_world)] = [
            (obj, {name: value for name, value in obj.__dict__.items() if name != "_prefetched_objects_cache"})
            for obj in objects]
    for obj, attributes in stored:
        restore_attributes(obj, attributes)
    return matrix_world
# The full matrix runs on PostgreSQL (the production database); on SQLite a sample of it: per route, one
# manufacturer role and one distributor role, rotated by the route's key so that over all routes every role is
# exercised. Set KEYCHANNEL_FULL_MATRIX=1 to run the full matrix on SQLite too.
FULL_MATRIX = (
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    or os.environ.get("KEYCHANNEL_FULL_MATRIX") == "1"
)


SIGNED_IN = [role for role in ALL_ROLES if role != ANONYMOUS]


def sampled_roles(route) -> list[str]:
    """The signed-in roles asked about a route: all on PostgreSQL, two on SQLite."""
    if FULL_MATRIX:
        return SIGNED_IN
    spin = zlib.crc32(route.key.encode())
    return [MANUFACTURER[spin % len(MANUFACTURER)], DISTRIBUTOR[spin % len(DISTRIBUTOR)]]


def asked_roles(route) -> list[str]:
    """The anonymous caller is asked, on both databases, only where it is not simply turned away: a declared public
    route, or one expecting something else of it. Everywhere else the login middleware (pages) or the API's auth
    answers, which the structural tests below check for every route at once."""
    return sampled_roles(route) + ([] if anonymous_is_default(route) else [ANONYMOUS])


CASES = [
    pytest.param(route, role, side, id=f"{route.key}|{role}|{side}")
    for route in ROUTES
    for role in asked_roles(route)
    for side in route.sides
]


@pytest.mark.engine_dependent  # on PostgreSQL the matrix is full and the sample is every role
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


# ---- the anonymous caller, structurally ---------------------------------------------------------------------------
# One check per rule instead of one request per route: a page is turned away unless its view opts out of the login
# middleware, and an API operation unless it declares no security. Each check has a guard test that shows it failing.


def test_every_page_but_the_public_ones_is_behind_the_login_middleware(settings):
    assert "keychannel.core.middleware.KeychannelLoginRequiredMiddleware" in settings.MIDDLEWARE
    assert pages_without_login() == PUBLIC_PAGES


def test_a_page_without_login_is_reported():
    """The guard: a view marked login_not_required that nobody declared public shows up."""
    from django.contrib.auth.decorators import login_not_required

    import keychannel.urls

    module = type(keychannel.urls)("extra_urls")
    module.urlpatterns = [*keychannel.urls.urlpatterns,
                          path("open/", login_not_required(lambda request: None), name="open_page")]
    assert pages_without_login(urlconf=module) - PUBLIC_PAGES == {"open_page"}


def test_every_api_operation_but_the_public_ones_declares_security():
    assert api_operations_without_security() == PUBLIC_API


def test_an_api_operation_without_security_is_reported():
    """The guard: an operation that drops the API's auth (``auth=None``) shows up."""
    from ninja import NinjaAPI

    from keychannel.core.api_auth import BearerTokenAuth

    guard = NinjaAPI(auth=[BearerTokenAuth()], urls_namespace="security-guard")

    @guard.get("/closed")
    def closed(request):  # pragma: no cover - only described, never called
        return {}

    @guard.get("/open", auth=None)
    def open_(request):  # pragma: no cover - only described, never called
        return {}

    assert api_operations_without_security(guard, path_prefix="") == {"GET /open"}


def test_routes_the_anonymous_caller_may_open_expect_it():
    """A public route's access cases say what the anonymous caller gets, so the matrix asks it (on both databases)."""
    public = [route for route in ROUTES if route.key in PUBLIC_PAGES | PUBLIC_API]
    assert {route.key for route in public} == PUBLIC_PAGES | PUBLIC_API
    assert all(ANONYMOUS in asked_roles(route) for route in public)


@pytest.mark.django_db
def test_the_anonymous_caller_is_turned_away(world):
    """And the two answers really come: a page sends to the sign-in page, an API operation answers 401."""
    page = Client().get(reverse("network:distributor_detail", kwargs={"pk": world.own.pk}))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login") + "?next=")
    response = Client().get(f"/api/v1/distributors/{world.own.pk}")
    assert response.status_code == 401


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

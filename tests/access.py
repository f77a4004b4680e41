"""The access matrix: every page and API operation × every role × own / other / no object.

Each app declares its routes in ``keychannel/<app>/tests/access_cases.py`` as ``ROUTES``. A route whose
URL pattern or API operation exists but has no declaration makes ``test_every_route_has_cases`` fail.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from tests.world import ANONYMOUS, ROLES

ALL_ROLES = [*ROLES, ANONYMOUS]
MANUFACTURER = ["admin", "program_manager", "executive", "channel_manager", "mentor", "embedded_kam"]
DISTRIBUTOR = ["dist_head", "dist_sales"]
APPS = ["core", "network", "clients", "deals", "channel", "program", "competence", "sales", "service", "integrations", "jobs"]
# Not ours to test: the Django admin has its own gate (tested in core), static files, and API docs pages.
IGNORED_NAMESPACES = {"admin", "api"}
# What anybody may open without signing in. Every other page is behind the login middleware (its view is not
# ``login_not_required``) and every other API operation declares security; ``test_access_matrix`` checks both
# structurally, so the matrix asks the anonymous caller only here (and where a route expects something else of it).
PUBLIC_PAGES = {
    "login", "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "oidc_authentication_init", "oidc_authentication_callback",
    "core:set_language", "core:invitation_accept", "program:calendar_feed", "sales:survey_public", "service:intake_public",
    "service:case_public",
}
PUBLIC_API = {"POST /api/v1/auth/token"}


@dataclass
class Route:
    """One page (``name`` is a URL name) or API operation (``api`` is "METHOD /api/v1/path")."""

    name: str = ""
    api: str = ""
    method: str = "GET"
    # side -> URL kwargs (pages) or path parameters (API); None for routes without an object.
    params: Callable | None = None
    # (world, side) -> form data / JSON body for writes.
    body: Callable | None = None
    # role -> {side: expected status}; sides are "own", "other" (with params) or "none" (without).
    expect: dict = field(default_factory=dict)
    note: str = ""

    @property
    def key(self) -> str:
        return self.api or self.name

    @property
    def sides(self) -> list[str]:
        return ["own", "other"] if self.params else ["none"]

    def __post_init__(self):
        if self.api:
            self.method = self.api.split()[0]


def expect(default: dict | int | None = None, **per_role) -> dict:
    """Build an expectation table: a default for every role, overridden per role.

    A value is a status code (same for every side) or a dict {side: status}.
    """
    table = {}
    for role in ALL_ROLES:
        value = per_role.get(role, default)
        if value is None:
            raise ValueError(f"no expectation for role {role}")
        table[role] = value
    return table


def anon_page(**kw):
    """Pages answer anonymous users with a redirect to the login page."""
    return {ANONYMOUS: 302, **kw}


def anon_api(**kw):
    return {ANONYMOUS: 401, **kw}


def load_routes() -> list[Route]:
    routes = []
    for app in APPS:
        try:
            module = importlib.import_module(f"keychannel.{app}.tests.access_cases")
        except ModuleNotFoundError as exc:
            if not f"keychannel.{app}.tests.access_cases".startswith(exc.name or "?"):
                raise
            continue
        routes.extend(module.ROUTES)
    return routes


def url_patterns(urlconf=None, skip=IGNORED_NAMESPACES):
    """Every URL pattern of the project as (namespaced name or None, route, pattern), namespaces in ``skip`` left out.

    The one walk over the URL tree: the access matrix, the CSRF check and the rule catalogue all read it.
    """

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or ""
                if ns in skip:
                    continue
                yield from walk(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace,
                                prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}{pattern.name}" if pattern.name else None
                yield name, prefix + str(pattern.pattern), pattern

    yield from walk(get_resolver(urlconf).url_patterns)


def page_route_names(urlconf=None) -> set[str]:
    """Every named page of the project (unnamed patterns are reported with their regex)."""
    return {name or f"<unnamed {pattern.pattern}>" for name, _route, pattern in url_patterns(urlconf)}


def api_operation_keys() -> set[str]:
    from keychannel.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    keys = set()
    for path, operations in schema["paths"].items():
        for method in operations:
            keys.add(f"{method.upper()} {path}")
    return keys


def pages_without_login(urlconf=None) -> set[str]:
    """Pages whose view opts out of the login middleware (``login_not_required``), as the middleware reads it."""
    return {name or f"<unnamed {route}>" for name, route, pattern in url_patterns(urlconf)
            if getattr(pattern.callback, "login_required", True) is False}


def api_operations_without_security(ninja_api=None, path_prefix="/api/v1") -> set[str]:
    """API operations whose OpenAPI entry declares no security (django-ninja builds it from the auth it enforces)."""
    if ninja_api is None:
        from keychannel.api import api as ninja_api
    schema = ninja_api.get_openapi_schema(path_prefix=path_prefix)
    return {f"{method.upper()} {path}" for path, operations in schema["paths"].items()
            for method, operation in operations.items() if not operation.get("security")}


def anonymous_is_default(route: Route) -> bool:
    """The anonymous caller gets what the login middleware (pages: 302) or the API's auth (401) answers."""
    value = route.expect.get(ANONYMOUS)
    values = set(value.values()) if isinstance(value, dict) else {value}
    return values == {401 if route.api else 302} and route.key not in PUBLIC_PAGES | PUBLIC_API


def missing_routes(routes, urlconf=None) -> set[str]:
    declared = {r.key for r in routes}
    return (page_route_names(urlconf) | api_operation_keys()) - declared


def incomplete_routes(routes) -> list[str]:
    problems = []
    for route in routes:
        for role in ALL_ROLES:
            value = route.expect.get(role)
            if value is None:
                problems.append(f"{route.key}: no expectation for {role}")
            elif isinstance(value, dict) and set(value) != set(route.sides):
                problems.append(f"{route.key}: {role} must give {route.sides}, gives {sorted(value)}")
    return problems


def expected_status(route: Route, role: str, side: str) -> int:
    value = route.expect[role]
    return value[side] if isinstance(value, dict) else value

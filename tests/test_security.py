"""Cross-cutting security checks: CSRF, escaping, redirects, tokens at rest, lockout, exports, uploads.

Pages and their URL arguments come from the access matrix (``tests/access.py``, every app's
``access_cases.py``), so a new page is covered here as soon as it has access cases.
(``check --deploy`` in the production profile is tested in ``keychannel/core/tests/test_core.py``.)
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.models.functions import Concat, Substr
from django.test import Client
from django.urls import NoReverseMatch, reverse

from keychannel.core import services
from keychannel.core.models import ApiToken, hash_token
from keychannel.core.scoping import Principal
from tests.access import load_routes

PAYLOAD = '<script>alert("kc")</script>'
ROUTES = load_routes()
PAGE_ROUTES = [r for r in ROUTES if not r.api]
PASSWORD = "test-password"  # core.tests.factories.UserFactory


def _url(route, world, side="own"):
    params = route.params(world, side) if route.params else None
    return reverse(route.name, kwargs=params)


# ---- CSRF --------------------------------------------------------------------------------------------


def csrf_exempt_pages(urlconf=None) -> list[str]:
    """Every page view (the Django admin and the API excluded, as in the access matrix) that skips CSRF."""
    from tests.access import url_patterns

    return [route for _name, route, pattern in url_patterns(urlconf)
            if getattr(pattern.callback, "csrf_exempt", False)]


def test_every_page_is_behind_the_csrf_check(settings):
    """Structural: the CSRF middleware is on and no page view opts out, so every POST to a page needs a token.

    (This replaces one POST-without-token case per page: the rule is the middleware plus "no exemption".)
    """
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    assert csrf_exempt_pages() == []


def test_a_csrf_exempt_page_is_reported():
    """The guard itself: a page view marked csrf_exempt shows up."""
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    import keychannel.urls

    module = type(keychannel.urls)("extra_urls")
    module.urlpatterns = [*keychannel.urls.urlpatterns,
                          path("exempt/", csrf_exempt(lambda request: None), name="exempt_page")]
    assert csrf_exempt_pages(urlconf=module) == ["exempt/"]


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(world):
    """And the middleware really answers: a logged-in admin POSTing a page form without a token gets the CSRF 403."""
    route = next(r for r in PAGE_ROUTES if r.method == "POST")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("admin"))
    url = _url(route, world)
    body = route.body(world, "own") if route.body else {}
    response = client.post(url, body or {"anything": "1"})
    assert response.status_code == 403, f"POST {url} without a CSRF token: {response.status_code}"
    assert b"CSRF" in response.content, f"POST {url}: 403, but not from the CSRF check"


@pytest.mark.django_db
def test_login_and_logout_need_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "w-admin", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_api_writes_with_the_session_need_a_csrf_token(world):
    """The browser session authenticates the API too; without the CSRF token it must not write."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("admin"))
    own = world.own
    response = client.patch(f"/api/v1/distributors/{own.pk}", data='{"legal_name": "Hijacked SRL"}',
                            content_type="application/json")
    assert response.status_code in (401, 403), response.status_code
    own.refresh_from_db()
    assert own.legal_name != "Hijacked SRL"


# ---- escaping of user-entered text --------------------------------------------------------------------

TEXT_FIELDS = {"name", "legal_name", "trade_name", "first_name", "last_name", "title", "description", "note",
               "notes", "summary", "next_step", "comment", "body", "outcome", "personal_interests",
               "company_interests", "why_chosen", "position", "job_title", "label"}


def _poison_user_text():
    """Prefix every user-entered name/text column of every row with a script tag (in one UPDATE per table)."""
    poisoned = []
    for model in apps.get_models():
        if model._meta.app_label not in {"core", "network", "clients", "deals", "channel", "program",
                                         "competence", "sales", "service", "auth"}:
            continue
        if model.__name__.startswith("Historical") or model._meta.proxy:
            continue
        updates = {}
        for field in model._meta.concrete_fields:
            if field.name in TEXT_FIELDS and isinstance(field, models.CharField | models.TextField) \
                    and not field.choices:
                value = Concat(models.Value(PAYLOAD), models.F(field.name))
                if field.max_length:
                    value = Substr(value, 1, field.max_length)
                updates[field.name] = value
        if updates and model._default_manager.exists():
            # A plain QuerySet: bypass scoping/auditing managers, this is test set-up, not a domain write.
            models.QuerySet(model).update(**updates)
            poisoned.append(model._meta.label)
    return poisoned


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_user_entered_text_is_escaped_on_every_page(world, role):
    """Every page (list, detail, charts' json_script data) shows a script-tag name as text, never as markup."""
    urls = []
    for route in PAGE_ROUTES:
        if route.method != "GET" or route.name == "login":
            continue
        try:
            urls.append(_url(route, world))
        except NoReverseMatch:  # pragma: no cover - reported by the access matrix
            continue
    poisoned = _poison_user_text()
    assert "network.Distributor" in poisoned and "auth.User" in poisoned
    client = Client()
    client.force_login(world.user(role))
    checked = 0
    for url in urls:
        response = client.get(url)
        # Markup only matters where a browser renders HTML (a calendar feed or a CSV carries text as text).
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        content = response.content.decode()
        assert PAYLOAD not in content, f"GET {url} as {role}: user text rendered as markup"
        assert '<script>alert("kc")' not in content, f"GET {url} as {role}: user text rendered as markup"
        checked += 1
    assert checked >= 5, f"only {checked} pages answered 200"


@pytest.mark.django_db
def test_names_are_visible_escaped_in_lists_details_and_chart_data(world, login):
    world.own.legal_name = PAYLOAD
    world.own.save()
    client = login(world.user("admin"))
    for name in ("network:distributor_list", "network:distributor_detail"):
        kwargs = {"pk": world.own.pk} if name.endswith("detail") else None
        content = client.get(reverse(name, kwargs=kwargs)).content.decode()
        assert "&lt;script&gt;alert(&quot;kc&quot;)&lt;/script&gt;" in content, name
        assert PAYLOAD not in content, name
    try:
        quadrant = reverse("network:distributor_quadrant")
    except NoReverseMatch:  # pragma: no cover - the chart page is the network app's to keep
        return
    content = client.get(quadrant).content.decode()
    data = re.search(r'<script id="quadrant-data" type="application/json">(.*?)</script>', content, re.S)
    assert data, "the quadrant chart data is passed with json_script"
    assert "\\u003Cscript\\u003E" in data.group(1) and "<script>" not in data.group(1)


# ---- redirects ---------------------------------------------------------------------------------------

EVIL_NEXT = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example",
             "\\\\evil.example", " https://evil.example/", "javascript:alert(1)", "http://testserver@evil.example/"]


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", EVIL_NEXT)
def test_login_never_redirects_off_site(world, next_url):
    client = Client()
    response = client.post(reverse("login") + "?next=" + next_url,
                           {"username": "w-admin", "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location and "javascript" not in location
    # An already signed-in user visiting the login page is not bounced off-site either.
    response = client.get(reverse("login"), {"next": next_url})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"] and response["Location"].startswith("/")


@pytest.mark.django_db
def test_login_follows_a_local_next(world):
    response = Client().post(reverse("login") + "?next=/profile/",
                             {"username": "w-admin", "password": PASSWORD, "next": "/profile/"})
    assert response.status_code == 302 and response["Location"] == "/profile/"


# ---- API tokens at rest ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_tokens_are_stored_hashed_only(world):
    token, raw = services.api_token_create(principal=Principal.for_user(world.user("dist_sales")), name="t")
    assert raw and token.key_hash == hash_token(raw) and raw not in token.key_hash
    assert not raw.startswith(token.hint) or len(token.hint) < len(raw) // 2
    # The raw value is nowhere in the database: every text column of every table.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM {connection.ops.quote_name(table)}')
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and raw in v for v in row), f"raw token found in {table}"
    # And it works, through the hash.
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token.key_hash}").get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_revoked_and_expired_tokens_are_refused(world):
    from django.utils import timezone

    principal = Principal.for_user(world.user("admin"))
    token, raw = services.api_token_create(principal=principal, name="t")
    services.api_token_revoke(principal=principal, token=token)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401
    token, raw = services.api_token_create(principal=principal, name="t2",
                                           expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401


# ---- lockout -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_endpoint_locks_out_after_repeated_failures(world, settings):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        response = client.post("/api/v1/auth/token", {"username": "w-admin", "password": "wrong"},
                               content_type="application/json")
        assert response.status_code in (401, 403, 429)
    before = ApiToken.objects.count()
    response = client.post("/api/v1/auth/token", {"username": "w-admin", "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code in (403, 429), "the right password must not get through a lockout"
    assert ApiToken.objects.count() == before
    # The lockout holds for the login page too (same username, same address).
    response = client.post(reverse("login"), {"username": "w-admin", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked.
    response = client.post("/api/v1/auth/token", {"username": "w-executive", "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_token_endpoint_lockout_answers_json(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/api/v1/auth/token", {"username": "w-admin", "password": "wrong"},
                               content_type="application/json")
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


# ---- exports: formula injection -----------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _export_routes():
    """Page routes whose name says they export (CSV/XLSX), from the access matrix."""
    return [r for r in PAGE_ROUTES if r.method == "GET" and re.search(r"export|csv|xlsx|download", r.name)]


def _cells(response) -> list[str]:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type or body[:2] == b"PK":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    text = body.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)"]


def _export_data(world):
    """Deals for both distributors (when the deals app is there), so exports have rows to show."""
    try:
        from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
    except ImportError:  # pragma: no cover
        return
    for distributor in (world.own, world.other):
        client = ClientFactory(distributor=distributor)
        opportunity = OpportunityFactory(client=client, distributor=distributor, owner=world.user("dist_sales"))
        if hasattr(opportunity, "product_lines"):
            opportunity.product_lines.add(world.product_line)


def _poison_names_with_formulas():
    for model in apps.get_models():
        if model._meta.app_label not in {"network", "clients", "deals", "channel", "sales", "program"} \
                or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if field.name in {"legal_name", "name", "title", "next_step", "full_name"} and not field.choices \
                    and isinstance(field, models.CharField):
                for i, pk in enumerate(models.QuerySet(model).values_list("pk", flat=True)):
                    value = f"{PAYLOADS[i % len(PAYLOADS)]} {pk}"[: field.max_length]
                    models.QuerySet(model).filter(pk=pk).update(**{field.name: value})


def _export_variants(url):
    """The export in each format and, for the forecast, by each dimension (every label column)."""
    variants = [f"{url}?format=csv", f"{url}?format=xlsx"]
    try:
        from keychannel.deals.choices import ForecastDimension
    except ImportError:  # pragma: no cover
        return variants
    if "forecast" in url:
        variants = [f"{url}?format={fmt}&by={by}" for fmt in ("csv", "xlsx") for by in ForecastDimension.values]
    return variants


@pytest.mark.django_db
def test_exports_neutralise_formulas(world):
    routes = _export_routes()
    assert routes, "no export pages found"
    _export_data(world)
    urls = [_url(route, world) for route in routes]  # make the routes' objects before poisoning them
    _poison_names_with_formulas()
    client = Client()
    client.force_login(world.user("admin"))
    neutralised = 0
    for url in urls:
        for variant in _export_variants(url):
            response = client.get(variant)
            assert response.status_code == 200, variant
            cells = _cells(response)
            dangerous = [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
            assert not dangerous, f"GET {variant}: cells a spreadsheet would run as formulas: {dangerous[:5]}"
            neutralised += sum(1 for c in cells if c.startswith("'") and c[1:].startswith(FORMULA_STARTS))
    assert neutralised, "no export showed a formula-like name: the test data did not reach the exports"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# ---- uploads -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_uploaded_files_are_not_served_from_a_guessable_url(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "report.csv").write_text("secret,1\n")
    client = Client()
    client.force_login(world.user("dist_sales"))
    for url in ("/media/sales/report.csv", "/sales/report.csv", "/static/../media/sales/report.csv"):
        response = client.get(url)
        assert response.status_code in (301, 302, 403, 404), url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"secret,1" not in body, url


# ---- Permissions-Policy --------------------------------------------------------------------------------


def _permissions(response) -> dict[str, str]:
    header = response.headers.get("Permissions-Policy", "")
    return dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)


@pytest.mark.django_db
def test_every_kind_of_response_denies_the_device_apis(world):
    """The sign-in page, a signed-in page, an API answer and a refusal: no camera, microphone, location or payment;
    fullscreen and clipboard writes only for our own origin."""
    signed_in = Client()
    signed_in.force_login(world.user("dist_head"))
    responses = [
        Client().get(reverse("login")),
        signed_in.get(reverse("core:home")),
        signed_in.get("/api/v1/me"),
        signed_in.get(reverse("network:playbook_list")),  # 403
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 403]
    for response in responses:
        policy = _permissions(response)
        for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "display-capture"):
            assert policy.get(feature) == "()", (response.wsgi_request.path, feature, policy)
        assert policy["fullscreen"] == "(self)" and policy["clipboard-write"] == "(self)"

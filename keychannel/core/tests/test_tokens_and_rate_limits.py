"""API tokens expire, are capped per user and die with the password, the account or "log out everywhere";
the API is rate limited per user and per client address (429 + Retry-After)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keychannel.api import api
from keychannel.core import ratelimit, services
from keychannel.core.choices import Role
from keychannel.core.models import ApiToken, SecurityEvent
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db
PASSWORD = "test-password"  # core.tests.factories.UserFactory


def _token(user, **kw):
    return services.api_token_create(principal=Principal.for_user(user), name="t", **kw)


def _bearer(raw, **extra):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **extra)


def _issue(user, client=None, name="api"):
    return (client or Client()).post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD, "name": name},
        content_type="application/json",
    )


@pytest.fixture
def clock(monkeypatch):
    """The rate limiter's clock, fixed in the middle of a window and moved by hand: no test waits on real time."""
    now = {"t": 1_800_000_030.0}
    monkeypatch.setattr(ratelimit, "_now", lambda: now["t"])
    return now


# ---- lifetime -------------------------------------------------------------------------------------------


def test_a_token_expires_after_the_configured_lifetime(world, settings):
    settings.KEYCHANNEL_API_TOKEN_DAYS = 30
    before = timezone.now()
    token, raw = _token(world.user("dist_sales"))
    assert before + datetime.timedelta(days=30) <= token.expires_at <= timezone.now() + datetime.timedelta(days=30)
    issued = _issue(world.user("dist_sales"))
    assert issued.status_code == 201 and issued.json()["expires_at"]


def test_an_expired_token_answers_401_saying_it_expired(world):
    token, raw = _token(world.user("dist_sales"))
    assert _bearer(raw).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = _bearer(raw).get("/api/v1/me")
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert "revoked" in _bearer(_revoked(world)).get("/api/v1/me").json()["detail"]
    # A value that is no token of ours gets the plain answer.
    assert _bearer("kc_nothing").get("/api/v1/me").json()["detail"] == "Authentication required."


def _revoked(world):
    principal = world.principal("dist_head")
    token, raw = services.api_token_create(principal=principal, name="r")
    services.api_token_revoke(principal=principal, token=token)
    return raw


def test_a_token_made_before_tokens_expired_lives_the_lifetime_from_its_creation(world, settings):
    settings.KEYCHANNEL_API_TOKEN_DAYS = 90
    old, old_raw = _token(world.user("dist_sales"))
    recent, recent_raw = _token(world.user("dist_sales"))
    ApiToken.objects.filter(pk__in=[old.pk, recent.pk]).update(expires_at=None)
    ApiToken.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=91))
    assert _bearer(old_raw).get("/api/v1/me").status_code == 401
    assert _bearer(recent_raw).get("/api/v1/me").status_code == 200
    assert list(ApiToken.objects.active().filter(pk__in=[old.pk, recent.pk])) == [recent]


def test_an_expiry_beyond_the_lifetime_is_refused(world, login, settings):
    settings.KEYCHANNEL_API_TOKEN_DAYS = 30
    with pytest.raises(ValidationError):
        _token(world.user("dist_sales"), expires_at=timezone.now() + datetime.timedelta(days=31))
    page = login(world.user("dist_sales"))
    far = (timezone.localtime() + datetime.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    response = page.post(reverse("core:profile"), {"name": "erp", "expires_at": far})
    assert response.status_code == 200 and "30 days at most" in response.content.decode()
    assert not ApiToken.objects.exists()


# ---- cap ------------------------------------------------------------------------------------------------


def test_a_user_holds_at_most_the_configured_number_of_live_tokens(world, settings):
    settings.KEYCHANNEL_API_TOKENS_PER_USER = 2
    assert _issue(world.user("dist_sales")).status_code == 201
    second = _issue(world.user("dist_sales"))
    assert second.status_code == 201
    refused = _issue(world.user("dist_sales"))
    assert refused.status_code == 422 and "2 active API tokens" in refused.json()["detail"][0]["msg"]
    assert ApiToken.objects.filter(user=world.user("dist_sales")).count() == 2
    # Revoked and expired tokens do not count; other users have their own allowance.
    assert _bearer(second.json()["token"]).delete("/api/v1/auth/token").status_code == 204
    assert _issue(world.user("dist_sales")).status_code == 201
    assert _issue(world.user("dist_head")).status_code == 201


def test_the_profile_page_says_when_the_cap_is_reached(world, login, settings):
    settings.KEYCHANNEL_API_TOKENS_PER_USER = 1
    page = login(world.user("dist_head"))
    assert page.post(reverse("core:profile"), {"name": "one"}).status_code == 200
    html = page.post(reverse("core:profile"), {"name": "two"}).content.decode()
    assert "1 active API tokens" in html and ApiToken.objects.count() == 1


# ---- revocation -----------------------------------------------------------------------------------------


def test_changing_the_password_revokes_every_token(world, login):
    user = world.user("dist_sales")
    _t1, raw1 = _token(user)
    _t2, raw2 = _token(user)
    other_token, other_raw = _token(world.user("dist_head"))
    page = login(user)
    response = page.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-Passw0rd-42", "new_password2": "a-new-Passw0rd-42"})
    assert response.status_code == 302
    for raw in (raw1, raw2):
        answer = _bearer(raw).get("/api/v1/me")
        assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    assert _bearer(other_raw).get("/api/v1/me").status_code == 200
    assert SecurityEvent.objects.filter(action="core.apitoken.revoke_all", username=user.username).exists()


def test_a_password_set_anywhere_else_revokes_too_but_other_saves_do_not(world):
    user = world.user("dist_sales")
    _t, raw = _token(user)
    user.first_name = "Renamed"
    user.save()  # an ordinary edit keeps the tokens
    assert _bearer(raw).get("/api/v1/me").status_code == 200
    user = get_user_model().objects.get(pk=user.pk)
    user.set_password("another-Passw0rd-7")  # the Django admin, `changepassword`, the reset page
    user.save()
    assert _bearer(raw).get("/api/v1/me").status_code == 401


def test_a_deactivated_user_is_refused_and_stays_refused_after_reactivation(world):
    user = world.user("dist_sales")
    _t, raw = _token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _bearer(raw).get("/api/v1/me").status_code == 401
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert _bearer(raw).get("/api/v1/me").status_code == 401  # revoked at deactivation, not only refused
    assert not ApiToken.objects.active().filter(user=user).exists()


def test_log_out_everywhere_from_the_profile_page(world):
    user = world.user("dist_head")
    desk, laptop, colleague = Client(), Client(), Client()
    desk.force_login(user)
    laptop.force_login(user)
    colleague.force_login(world.user("dist_sales"))
    _t, raw = _token(user)
    assert "logout-everywhere" in desk.get(reverse("core:profile")).content.decode()
    response = desk.post(reverse("core:logout_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    for client in (desk, laptop):
        assert client.get(reverse("core:profile")).status_code == 302  # back to the login page
    assert _bearer(raw).get("/api/v1/me").status_code == 401
    assert colleague.get(reverse("core:profile")).status_code == 200


def test_log_out_everywhere_through_the_api(world):
    user = world.user("dist_sales")
    browser = Client()
    browser.force_login(user)
    _t1, raw1 = _token(user)
    _t2, raw2 = _token(user)
    response = _bearer(raw1).post("/api/v1/auth/logout-everywhere")
    assert response.status_code == 200 and response.json() == {"revoked_tokens": 2, "ended_sessions": 1}
    assert _bearer(raw1).get("/api/v1/me").status_code == 401
    assert _bearer(raw2).get("/api/v1/me").status_code == 401
    assert browser.get(reverse("core:profile")).status_code == 302


# ---- rate limits ----------------------------------------------------------------------------------------


def test_the_api_answers_429_with_retry_after_past_the_per_user_limit(world, settings, clock):
    settings.KEYCHANNEL_API_RATE_LIMIT = "3/m"
    _t, raw = _token(world.user("dist_sales"))
    api_client = _bearer(raw)
    assert [api_client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = api_client.get("/api/v1/me")
    assert limited.status_code == 429 and limited["Content-Type"].startswith("application/json")
    assert limited.json()["detail"] and 1 <= int(limited["Retry-After"]) <= 60
    assert int(limited["Retry-After"]) == 30  # the clock stands 30 s into its minute
    # Per user: a second token of the same user shares the count, another user has their own.
    _t2, raw2 = _token(world.user("dist_sales"))
    assert _bearer(raw2).get("/api/v1/me").status_code == 429
    _t3, other = _token(world.user("dist_head"))
    assert _bearer(other).get("/api/v1/me").status_code == 200
    # The next window starts afresh.
    clock["t"] += 30
    assert api_client.get("/api/v1/me").status_code == 200


def test_a_session_user_is_limited_like_a_token_user(world, login, settings, clock):
    settings.KEYCHANNEL_API_RATE_LIMIT = "2/h"
    page = login(world.user("admin"))
    assert [page.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]


def test_anonymous_calls_are_limited_per_client_address(world, settings, clock):
    settings.KEYCHANNEL_API_ANON_RATE_LIMIT = "2/m"
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    wrong = {"username": "nobody", "password": "wrong"}
    statuses = [stranger.post("/api/v1/auth/token", wrong, content_type="application/json").status_code
                for _ in range(2)]
    assert statuses == [401, 401]
    limited = stranger.get("/api/v1/me")  # unauthenticated calls count on the address too
    assert limited.status_code == 429 and limited["Retry-After"] == "30"
    assert stranger.post("/api/v1/auth/token", wrong, content_type="application/json").status_code == 429
    # Another address is not affected.
    assert Client(REMOTE_ADDR="203.0.113.10").get("/api/v1/me").status_code == 401


def test_the_limits_are_counted_in_the_shared_database_table(clock, django_assert_num_queries):
    """Every gunicorn worker must see one count: the counters are rows, one atomic upsert per request."""
    from keychannel.core.models import RateCounter

    key = f"rl:test-scope:x:60:{int(clock['t'] // 60)}"
    with django_assert_num_queries(2):  # the upsert, and the clean-up of this caller's past windows
        assert ratelimit.hit("test-scope", "x", "2/m") is None
    with django_assert_num_queries(3):  # two upserts, and the first refusal of the window as a security event
        assert [ratelimit.hit("test-scope", "x", "2/m") for _ in range(2)] == [None, 30]
    with django_assert_num_queries(1):  # later refusals of the same window are not recorded again
        assert ratelimit.hit("test-scope", "x", "2/m") == 30
    assert RateCounter.objects.get(key=key).hits == 4
    # A new window starts at one again and removes the caller's past windows, not another caller's.
    ratelimit.hit("test-scope", "y", "2/m")
    clock["t"] += 120
    assert ratelimit.hit("test-scope", "x", "2/m") is None
    assert not RateCounter.objects.filter(key=key).exists()
    assert RateCounter.objects.filter(key__startswith="rl:test-scope:y:").exists()


@pytest.mark.parametrize("rate, parsed", [("600/m", (600, 60)), ("20/5m", (20, 300)), ("1000/h", (1000, 3600))])
def test_rates_are_parsed_and_bad_ones_fail_loudly(rate, parsed):
    assert ratelimit.parse_rate(rate) == parsed
    with pytest.raises(ValueError):
        ratelimit.parse_rate("600 per minute")


def test_every_operation_documents_429_with_retry_after():
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"].get("429")
            assert answer and "Retry-After" in answer.get("headers", {}), f"{method} {path}"


@pytest.mark.parametrize(("role", "queries"), [(Role.PROGRAM_MANAGER, 2), (Role.DIST_HEAD, 3)])
def test_the_bare_me_call_costs_few_queries(world, api_as, django_assert_num_queries, role, queries):
    """Token, user, membership and organisation in one query; the rate count in one upsert; a distributor
    user's reach, on PostgreSQL in the token's query (core.scoping.with_reach). (It was 9 and 10: the membership's
    ordering joined two tables, the database cache took four.)"""
    from django.db import connection

    if role == Role.DIST_HEAD and connection.vendor == "postgresql":
        queries -= 1
    caller = api_as(world.users[str(role)])
    assert caller.get("/api/v1/me").status_code == 200  # opens this minute's rate window
    with django_assert_num_queries(queries):
        assert caller.get("/api/v1/me").status_code == 200


@pytest.mark.postgres_suite
@pytest.mark.django_db(transaction=True)
def test_simultaneous_calls_are_each_counted_once():
    """The upsert is atomic: 8 threads x 10 hits on one caller's window count exactly 80 (PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from keychannel.core.models import RateCounter

    def hits(_):
        try:
            return [ratelimit.hit("race", "same-caller", "1000/h") for _ in range(10)]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [wait for batch in pool.map(hits, range(8)) for wait in batch]
    assert results == [None] * 80
    assert RateCounter.objects.get(key__startswith="rl:race:same-caller:").hits == 80

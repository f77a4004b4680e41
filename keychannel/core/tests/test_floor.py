"""Issue 22.2, the bare endpoint near the floor: an API call authenticates and builds its principal in one
query, a page reads the caller's session, user and membership once each, and the benchmarks' plain view
exists only when a benchmark turns it on."""

import importlib
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, clear_url_caches, resolve, reverse

from keychannel.core import services
from keychannel.core.models import Membership
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db


def _bearer(user):
    _token, raw = services.api_token_create(principal=Principal.for_user(user), name="floor")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _selects(ctx, table):
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and f'"{table}"' in q["sql"]]


@pytest.mark.parametrize("username", ["program_manager", "dist_head"])
def test_me_reads_token_user_membership_and_organisation_in_one_unordered_query(world, username):
    caller = _bearer(world.user(username))
    assert caller.get("/api/v1/me").status_code == 200  # the rate window and last-used time are written once
    with CaptureQueriesContext(connection) as ctx:
        answer = caller.get("/api/v1/me")
    assert answer.status_code == 200
    assert answer.json()["organization"]["id"] == Membership.objects.get(user=world.user(username)).organization_id
    token_reads = _selects(ctx, "core_apitoken")
    assert len(token_reads) == 1, token_reads
    (sql,) = token_reads
    assert all(f'"{t}"' in sql for t in ("auth_user", "core_membership", "core_organization")), sql
    assert "ORDER BY" not in sql
    # Nothing read the membership, the user or the organisation again (they were 3 queries before).
    for table in ("core_membership", "auth_user", "core_organization"):
        assert _selects(ctx, table) == [sql], table


@pytest.mark.parametrize(("username", "url"), [
    ("program_manager", "core:notification_list"),
    ("dist_head", "core:home"),
    ("channel_manager", "network:distributor_list"),
    ("dist_head", "deals:opportunity_list"),
])
def test_a_page_reads_the_session_the_user_and_the_membership_once(world, client, username, url):
    user = world.user(username)
    client.force_login(user)
    assert client.get(reverse(url)).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(url)).status_code == 200
    mine = {
        "session": [s for s in _selects(ctx, "django_session")],
        "user": [s for s in _selects(ctx, "auth_user") if f'"auth_user"."id" = {user.pk}' in s],
        "membership": [s for s in _selects(ctx, "core_membership") if f'"core_membership"."user_id" = {user.pk}' in s],
        "organisation": [s for s in _selects(ctx, "core_organization")
                         if s.startswith('SELECT "core_organization"') and "LIMIT 21" in s],
    }
    assert [len(mine[k]) for k in ("session", "user", "membership")] == [1, 1, 1], mine
    assert len(mine["organisation"]) <= 1, mine


def test_the_benchmarks_plain_view_does_not_exist_by_default(settings):
    assert settings.KEYCHANNEL_BENCH_VIEWS is False
    with pytest.raises(Resolver404):
        resolve("/bench/plain/")
    assert Client().get("/bench/plain/").status_code in (302, 404)  # a page URL nobody mounted


def test_the_plain_view_reads_the_tokens_user_in_one_query_when_a_benchmark_turns_it_on(world, settings):
    import keychannel.urls

    settings.KEYCHANNEL_BENCH_VIEWS = True
    try:
        importlib.reload(keychannel.urls)
        clear_url_caches()
        caller = _bearer(world.user("dist_sales"))
        with CaptureQueriesContext(connection) as ctx:
            answer = caller.get("/bench/plain/")
        assert answer.status_code == 200 and answer.json()["username"] == world.user("dist_sales").username
        assert len(ctx.captured_queries) == 1
        assert Client().get("/bench/plain/").status_code == 401
    finally:
        settings.KEYCHANNEL_BENCH_VIEWS = False
        importlib.reload(keychannel.urls)
        clear_url_caches()
    with pytest.raises(Resolver404):
        resolve("/bench/plain/")


def test_production_settings_refuse_the_bench_views():
    env = {**os.environ, "KEYCHANNEL_ENV": "production", "KEYCHANNEL_BENCH_VIEWS": "true",
           "KEYCHANNEL_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-for-this-test-only",
           "KEYCHANNEL_ALLOWED_HOSTS": "example.org"}
    done = subprocess.run([sys.executable, "-c", "import keychannel.settings"], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "KEYCHANNEL_BENCH_VIEWS" in done.stderr
    env["KEYCHANNEL_BENCH_VIEWS"] = "false"
    done = subprocess.run([sys.executable, "-c", "import keychannel.settings"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]

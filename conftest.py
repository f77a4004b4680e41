"""Fixtures shared by every test: fast password hashing, the small network of tests/world.py, API clients."""

import importlib

import pytest

from tests.world import build_world

for _app in ("competence", "deals", "clients", "channel", "program", "sales"):
    try:
        importlib.import_module(f"keychannel.{_app}.tests.world_hooks")
    except ModuleNotFoundError as exc:  # an app without reach of its own has no hook
        if not f"keychannel.{_app}.tests.world_hooks".startswith(exc.name or "?"):
            raise


@pytest.fixture(autouse=True)
def _fast_tests(settings, monkeypatch):
    # The rate limiter's windows follow a fixed clock: a test that counts queries must not see a new window
    # open (one more statement) because a minute passed on a slow machine. Rate-limit tests move it by hand.
    from keychannel.core import ratelimit

    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The suite makes many requests as one user from one address: rate-limit tests set low limits themselves.
    settings.KEYCHANNEL_API_RATE_LIMIT = settings.KEYCHANNEL_API_ANON_RATE_LIMIT = "1000000/m"
    settings.KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT = "1000000/m"
    # Tasks run inside the request that queues them; tests of the queue itself (a real worker process, killed or
    # several at once) switch back to the database or Redis backend (keychannel/jobs/tests/workers.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.TASKS_BACKEND = "immediate"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_as(db):
    """A test client that sends a fresh bearer token of the given user."""
    from django.test import Client

    from keychannel.core import services
    from keychannel.core.scoping import Principal

    def _api_as(user):
        _token, raw = services.api_token_create(principal=Principal.for_user(user), name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _api_as

"""The settings every test runs with (root conftest's ``_fast_tests``), also for fixtures wider than one test."""

import copy
from contextlib import contextmanager

# The rate limiter's windows follow a fixed clock: a test that counts queries must not see a new window open (one more
# statement) because a minute passed on a slow machine. Rate-limit tests move it by hand.
FIXED_NOW = 1_800_000_030.0
FAST_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    # The suite makes many requests as one user from one address: rate-limit tests set low limits themselves.
    "KEYCHANNEL_API_RATE_LIMIT": "1000000/m",
    "KEYCHANNEL_API_ANON_RATE_LIMIT": "1000000/m",
    "KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT": "1000000/m",
    # Tasks run inside the request that queues them; tests of the queue itself (a real worker process, killed or
    # several at once) switch back to the database or Redis backend (keychannel/jobs/tests/workers.py).
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "TASKS_BACKEND": "immediate",
}


@contextmanager
def fast_settings():
    """The same settings for a module- or session-scoped fixture (the function-scoped ones are not active yet)."""
    from django.test import override_settings

    from keychannel.core import ratelimit

    original = ratelimit._now
    ratelimit._now = lambda: FIXED_NOW
    try:
        with override_settings(**copy.deepcopy(FAST_SETTINGS)):
            yield
    finally:
        ratelimit._now = original

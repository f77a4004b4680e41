"""Rate limits: fixed windows counted in the "ratelimit" cache, shared by every worker (settings.CACHES).

A rate is "count/period" ("600/m", "20/5m", "1000/h"). Each window is ``period`` seconds aligned on the epoch
and has its own counter key, so a counter expires by itself and ``Retry-After`` is the time left in the
window. On Redis, memcached and the local-memory cache ``incr`` is atomic; on the database cache it is a
read and a write, so simultaneous requests can be undercounted by a few (never overcounted) — good enough
to stop a script, which is the point.

The API applies ``ApiThrottle`` to every operation (keychannel/api.py): per user for authenticated calls
(token or session), per client address (``client_ip``) otherwise; unauthenticated calls answered 401 count
towards the address too. Pages and operations that need a stricter limit call ``hit`` with a scope of their
own (the duplicate check).
"""

from __future__ import annotations

import math
import re
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja.throttling import BaseThrottle

from .client_ip import client_ip

CACHE_ALIAS = "ratelimit"
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


def _now() -> float:
    return time.time()


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/m"`` → (600, 60). A malformed rate is a configuration error: it fails loudly."""
    match = _RATE.match(str(rate or "").lower())
    if not match or match.group(3) not in _UNITS:
        raise ValueError(f"invalid rate {rate!r}: write it as count/period, e.g. 600/m, 20/5m, 1000/h")
    count, multiple, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    if multiple < 1:
        raise ValueError(f"invalid rate {rate!r}: the period must be at least 1")
    return count, multiple * _UNITS[unit]


def hit(scope: str, ident, rate: str) -> int | None:
    """Count one request of ``ident`` in ``scope``. None when it is within ``rate``, else the seconds to wait."""
    limit, period = parse_rate(rate)
    now = _now()
    window = int(now // period)
    key = f"rl:{scope}:{ident}:{period}:{window}"
    cache = caches[CACHE_ALIAS]
    try:
        count = cache.incr(key)
    except ValueError:  # the first request of this window
        count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def user_rate() -> str:
    return settings.KEYCHANNEL_API_RATE_LIMIT


def anonymous_rate() -> str:
    return settings.KEYCHANNEL_API_ANON_RATE_LIMIT


def hit_anonymous(request) -> int | None:
    return hit("api-address", client_ip(request) or "unknown", anonymous_rate())


class ApiThrottle(BaseThrottle):
    """ninja throttle of every API operation: per user once authenticated, per client address otherwise."""

    _local = threading.local()  # one instance serves every thread: the wait of this request is kept per thread

    def allow_request(self, request) -> bool:
        user = getattr(request, "auth", None)
        if getattr(user, "pk", None) is not None:
            wait = hit("api-user", user.pk, user_rate())
        else:
            wait = hit_anonymous(request)
        self._local.wait = wait
        return wait is None

    def wait(self):
        return getattr(self._local, "wait", None)


class ScopedThrottle(ApiThrottle):
    """A stricter limit for one kind of operation, per user (after the general one; anonymous: per address)."""

    def __init__(self, scope: str, setting: str):
        self.scope = scope
        self.setting = setting

    def allow_request(self, request) -> bool:
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        ident = user.pk if getattr(user, "pk", None) is not None else client_ip(request) or "unknown"
        wait = hit(self.scope, ident, getattr(settings, self.setting))
        self._local.wait = wait
        return wait is None


def too_many_requests_response(wait: int | None) -> HttpResponse:
    """429 for a page or an HTMX fragment: a short text and Retry-After."""
    response = HttpResponse(
        _("Too many requests: wait %(seconds)s seconds and try again.") % {"seconds": wait or 1},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait or 1)
    return response


def throttle_page(request, scope: str, setting: str) -> HttpResponse | None:
    """For views: None when the request may go on, else the 429 answer to return."""
    ident = request.user.pk if request.user.is_authenticated else client_ip(request) or "unknown"
    wait = hit(scope, ident, getattr(settings, setting))
    return None if wait is None else too_many_requests_response(wait)

"""Rate limits: fixed windows counted where every worker sees them (settings.KEYCHANNEL_RATE_LIMIT_STORE).

A rate is "count/period" ("600/m", "20/5m", "1000/h"). Each window is ``period`` seconds aligned on the epoch
and has its own counter key, so ``Retry-After`` is the time left in the window. By default the counters are
rows of ``core.RateCounter``, counted by one atomic upsert per request (exact under concurrency, on SQLite
and PostgreSQL); a caller's expired windows are deleted when it opens a new one. With a "ratelimit" cache
configured (Redis, or local memory for one worker) the cache's atomic ``incr`` counts instead.

The API applies ``ApiThrottle`` to every operation (keychannel/api.py): per user for authenticated calls
(token or session), per client address (``client_ip``) otherwise; unauthenticated calls answered 401 count
towards the address too. Pages and operations that need a stricter limit call ``hit`` with a scope of their
own (the duplicate check).
"""

from __future__ import annotations

import datetime
import math
import re
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja.throttling import BaseThrottle

from .client_ip import client_ip
from .models import RateCounter

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


def hit(scope: str, ident, rate: str, request=None) -> int | None:
    """Count one request of ``ident`` in ``scope``. None when it is within ``rate``, else the seconds to wait.

    The first refused request of a window is recorded as a security event (one per caller and window, however
    many follow, so a flood cannot fill the table)."""
    limit, period = parse_rate(rate)
    now = _now()
    window = int(now // period)
    key = f"rl:{scope}:{ident}:{period}:{window}"
    if settings.KEYCHANNEL_RATE_LIMIT_STORE == "database":
        count = _count_in_database(key, f"rl:{scope}:{ident}:", now=now, expires=(window + 1) * period)
    else:
        cache = caches[CACHE_ALIAS]
        try:
            count = cache.incr(key)
        except ValueError:  # the first request of this window
            count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
    if count <= limit:
        return None
    if count == limit + 1:
        _record_refusal(scope, ident, rate, request)
    return max(1, math.ceil((window + 1) * period - now))


def _record_refusal(scope: str, ident, rate: str, request) -> None:
    from .choices import SecurityEventKind
    from .services import security_event_record

    user = getattr(request, "auth", None) or getattr(request, "user", None)
    username = user.get_username() if getattr(user, "is_authenticated", False) else ""
    security_event_record(kind=SecurityEventKind.RATE_LIMITED, request=request, username=username,
                          action=f"ratelimit.{scope}"[:120], detail=f"over {rate}")


def _count_in_database(key: str, caller_prefix: str, *, now: float, expires: float) -> int:
    """This request's number in its window: one atomic statement (the throttle runs before any transaction of
    the operation, so the row is not held locked while the operation runs)."""
    quote = connection.ops.quote_name
    table, key_column = quote(RateCounter._meta.db_table), quote("key")
    expires_at = connection.ops.adapt_datetimefield_value(datetime.datetime.fromtimestamp(expires, tz=datetime.UTC))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, hits, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key_column}) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [key, expires_at],
        )
        (count,) = cursor.fetchone()
    if count == 1:  # a new window for this caller: its past windows are over
        ended = datetime.datetime.fromtimestamp(now, tz=datetime.UTC)
        RateCounter.objects.filter(key__startswith=caller_prefix, expires_at__lte=ended).delete()
    return count


def user_rate() -> str:
    return settings.KEYCHANNEL_API_RATE_LIMIT


def anonymous_rate() -> str:
    return settings.KEYCHANNEL_API_ANON_RATE_LIMIT


def hit_anonymous(request) -> int | None:
    return hit("api-address", client_ip(request) or "unknown", anonymous_rate(), request)


class ApiThrottle(BaseThrottle):
    """ninja throttle of every API operation: per user once authenticated, per client address otherwise."""

    _local = threading.local()  # one instance serves every thread: the wait of this request is kept per thread

    def allow_request(self, request) -> bool:
        user = getattr(request, "auth", None)
        if getattr(user, "pk", None) is not None and getattr(request, "kc_api_counted", None) == user.pk:
            wait = None  # counted already, before the transaction of an Idempotency-Key request (core/idempotency.py)
        elif getattr(user, "pk", None) is not None:
            wait = hit("api-user", user.pk, user_rate(), request)
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
        wait = hit(self.scope, ident, getattr(settings, self.setting), request)
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
    wait = hit(scope, ident, getattr(settings, setting), request)
    return None if wait is None else too_many_requests_response(wait)

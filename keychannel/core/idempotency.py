"""``Idempotency-Key`` on the API's POSTs: a retried request answers what the first one answered, once.

An ERP that lost the answer to a POST (a timeout, a dropped connection) cannot know whether the record was made.
It sends the same POST again with the same ``Idempotency-Key`` header and gets the first request's status and
body back, marked ``Idempotent-Replayed: true``, without the operation running a second time.

- Keys are per caller (the authenticated user): two users' keys never meet. Anonymous POSTs (the token issue)
  ignore the header.
- The key's first request is kept with a fingerprint of its method, path and body. The same key with another
  path or body is refused with 422 (``Idempotency-Key``): a key names one request.
- Only a successful answer (2xx) is kept. A refused request (4xx: bad input, a rule, a conflict) changed nothing
  and keeps nothing, so the key may be sent again once the body is fixed.
- Two requests with one key at the same time: the first inserts the key's row inside its transaction; the second
  waits on the unique (user, key) index until the first commits and then answers the first one's kept response
  (or, if the first failed, runs itself). One winner on PostgreSQL and SQLite alike (tests/test_sync_api.py).
- Kept for KEYCHANNEL_IDEMPOTENCY_KEY_HOURS (24); the ``prune_idempotency_keys`` job deletes older ones. A key
  sent again after that runs as new.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def _caller_id(request) -> int | None:
    """The user the API's own authentication will find (core/api_auth.py: the bearer token first, then the session)."""
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        from .services import api_token_check

        user, _why = api_token_check(authorization.removeprefix("Bearer ").strip())
        return user.pk if user is not None else None
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _invalid(message) -> JsonResponse:
    return JsonResponse({"detail": [{"loc": ["header", HEADER], "msg": str(message), "type": "value_error"}]},
                        status=422)


def _replay(record) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code,
                            content_type=record.content_type or "application/json")
    response[REPLAYED] = "true"
    return response


def prune(now=None) -> int:
    from .models import IdempotencyRecord

    return IdempotencyRecord.objects.filter(expires_at__lt=now or timezone.now()).delete()[0]


class IdempotencyMiddleware:
    """Keeps and replays the answers of ``POST /api/…`` requests sent with an ``Idempotency-Key`` header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path_info.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            return _invalid(_("An Idempotency-Key is 1 to 255 printable ASCII characters."))
        user_id = _caller_id(request)
        if user_id is None:
            return self.get_response(request)  # the API answers 401 (or, for the token issue, runs as usual)
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return self.get_response(request)  # refused by the API's own size check, nothing to keep
        # The caller's rate limit is counted here, before the transaction below: counted inside it, the counter's
        # row would stay locked while the operation runs and hold up the caller's other requests.
        from .ratelimit import hit, user_rate

        wait = hit("api-user", user_id, user_rate(), request)
        if wait is not None:
            response = JsonResponse({"detail": _("Too many requests: wait a moment and try again.")}, status=429)
            response["Retry-After"] = str(wait)
            return response
        request.kc_api_counted = user_id
        return self._once(request, user_id, key, fingerprint)

    def _once(self, request, user_id, key, fingerprint):
        from .models import IdempotencyRecord

        now = timezone.now()
        hours = getattr(settings, "KEYCHANNEL_IDEMPOTENCY_KEY_HOURS", 24)
        with transaction.atomic():
            record = None
            for _attempt in range(2):
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            user_id=user_id, key=key, fingerprint=fingerprint, path=request.path[:500],
                            expires_at=now + timedelta(hours=hours),
                        )
                    break
                except IntegrityError:
                    # Another request has this key: it committed before our insert could go on (the unique index
                    # made us wait for it), or it is an old one.
                    kept = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
                    if kept is None:
                        continue  # deleted meanwhile (failed, or expired and pruned): try again
                    if kept.expires_at < now:
                        kept.delete()
                        continue
                    if kept.fingerprint != fingerprint:
                        return _invalid(_(
                            "This Idempotency-Key was used for another request (a different path or body). "
                            "Use a new key for a new request."))
                    if kept.status_code is None:
                        return JsonResponse({"detail": _(
                            "A request with this Idempotency-Key is still running: ask again in a moment.")},
                            status=409)
                    return _replay(kept)
            if record is None:
                return JsonResponse({"detail": _(
                    "A request with this Idempotency-Key is still running: ask again in a moment.")}, status=409)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # a crash: nothing of it is kept, the key's row neither
                return response
            if 200 <= response.status_code < 300 and not isinstance(response, StreamingHttpResponse):
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")[:100]
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
            else:
                record.delete()  # a refusal changed nothing: the key is free for the corrected request
            return response


def replayed(response) -> bool:
    return response.get(REPLAYED) == "true"


__all__ = ["HEADER", "IdempotencyMiddleware", "prune", "replayed"]

"""A plain Django view for the benchmarks (bench/bench_api.py, loadtest/run.py --no-think): the floor that
``GET /api/v1/me`` and the load mix are measured against, on the same server and the same middleware.

Mounted at ``/bench/plain/`` only when ``KEYCHANNEL_BENCH_VIEWS`` is on (off by default, refused with production
settings), so it does not exist in a normal deployment. It reads the caller's user with one ORM query (the bearer
token's user; for a browser, the session's user, which Django's middleware reads) and answers a little JSON:
what a hand-written Django endpoint with nothing of keychannel's on top costs.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import ApiToken, hash_token


@csrf_exempt  # the load mix's writes are sent here unchanged in its plain run
@login_not_required
def plain(request):
    raw = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if raw:
        token = next(iter(ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).order_by()[:1]),
                     None)
        user = token.user if token is not None else None
    else:
        user = request.user if request.user.is_authenticated else None
    if user is None:
        return JsonResponse({"detail": "Authentication required."}, status=401)
    return JsonResponse({"id": user.pk, "username": user.get_username(), "email": user.email})

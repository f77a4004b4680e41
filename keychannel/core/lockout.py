"""Login lockout (django-axes) keyed so that nobody can lock out somebody else.

Two counters, both on the client address of ``client_ip`` (REMOTE_ADDR, or what a trusted proxy reports):
- username + address: AXES_FAILURE_LIMIT failures lock that username *from that address* only, so a
  stranger guessing a colleague's password does not lock the colleague out at their own desk;
- address alone: KEYCHANNEL_ADDRESS_FAILURE_LIMIT (higher, an office shares one address) failures across
  any usernames lock the address, which stops one machine from spraying passwords over many accounts.

axes compares one failure count with one limit, so the handler reports the address count scaled into the
same unit: floor(address_failures × limit / address_limit) ≥ limit exactly when address_failures ≥
address_limit. Successful logins reset only the username + address pair (AXES_LOCKOUT_PARAMETERS), so an
attacker with an account of their own cannot wipe the address count by logging in between guesses.
"""

from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def address_failure_limit() -> int:
    return int(getattr(settings, "KEYCHANNEL_ADDRESS_FAILURE_LIMIT", 50))


def _threshold():
    cool_off = get_cool_off()
    return timezone.now() - cool_off if cool_off is not None else None


def _recent(qs):
    threshold = _threshold()
    return qs.filter(attempt_time__gte=threshold) if threshold is not None else qs


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler plus the per-address counter described above."""

    def get_failures(self, request, credentials=None) -> int:
        pair = super().get_failures(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return pair
        per_address = (
            _recent(AccessAttempt.objects.filter(ip_address=address)).aggregate(n=Sum("failures_since_start"))["n"]
            or 0
        )
        limit = get_failure_limit(request, credentials)
        return max(pair, per_address * limit // max(address_failure_limit(), 1))


@dataclass(frozen=True)
class Lock:
    username: str  # "" for an address lock
    ip_address: str
    failures: int
    last_attempt: object


def current_locks() -> list[Lock]:
    """Usernames locked from an address, and addresses locked as a whole, within the cool-off period."""
    recent = _recent(AccessAttempt.objects.all())
    limit = int(settings.AXES_FAILURE_LIMIT)
    pairs = (
        recent.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=limit)
        .order_by("-last")[:200]
    )
    addresses = (
        recent.values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=address_failure_limit())
        .order_by("-last")[:200]
    )
    locks = [Lock("", row["ip_address"] or "", row["failures"], row["last"]) for row in addresses]
    locks += [Lock(row["username"] or "", row["ip_address"] or "", row["failures"], row["last"]) for row in pairs]
    return locks


def clear(*, username: str = "", ip_address: str = "") -> int:
    """Forget failed attempts of a username (from every address) or of an address (for every username)."""
    if not username and not ip_address:
        return 0
    return AxesProxyHandler.reset_attempts(username=username or None, ip_address=ip_address or None)

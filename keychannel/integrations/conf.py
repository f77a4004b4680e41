"""Webhook settings (docs/webhooks.md), read when used so tests can change them."""

import datetime

from django.conf import settings


def max_attempts() -> int:
    return max(1, int(getattr(settings, "KEYCHANNEL_WEBHOOK_MAX_ATTEMPTS", 8)))


def backoff_seconds() -> float:
    return float(getattr(settings, "KEYCHANNEL_WEBHOOK_BACKOFF_SECONDS", 60))


def disable_after() -> int:
    return max(1, int(getattr(settings, "KEYCHANNEL_WEBHOOK_DISABLE_AFTER", 20)))


def retry_delay(attempts_made: int) -> datetime.timedelta:
    """Exponential backoff: the base after the first failure, doubling after each further one (capped at a day)."""
    seconds = backoff_seconds() * (2 ** max(0, attempts_made - 1))
    return datetime.timedelta(seconds=min(seconds, 86400))

"""Tunable rules of the channel app, read from Django settings (``KEYCHANNEL_*``) or the environment.

- ``KEYCHANNEL_REGISTRATION_PROTECTION_DAYS`` (90): how long an approved registration protects its client.
- ``KEYCHANNEL_REGISTRATION_EXTENSION_DAYS`` (30): the default length of one extension.
- ``KEYCHANNEL_LEAD_RESPONSE_DAYS`` (5): how long a distributor has to accept or decline a lead.
- ``KEYCHANNEL_CONFLICT_DUE_DAYS``: days to decide a conflict, by kind (a dict in settings).
"""

import os

from django.conf import settings

from .choices import ConflictKind

CONFLICT_DUE_DAYS = {
    ConflictKind.DOUBLE_REGISTRATION: 5,
    ConflictKind.CLIENT_OWNERSHIP: 10,
    ConflictKind.TERRITORY: 10,
    ConflictKind.PRODUCT_RANGE: 10,
    ConflictKind.PRICING: 15,
    ConflictKind.POSSIBLE_DUPLICATE: 10,
}


def _int(name: str, default: int) -> int:
    value = getattr(settings, f"KEYCHANNEL_{name}", None)
    if value is None:
        value = os.environ.get(f"KEYCHANNEL_{name}", default)
    return int(value)


def protection_days() -> int:
    return _int("REGISTRATION_PROTECTION_DAYS", 90)


def extension_days() -> int:
    return _int("REGISTRATION_EXTENSION_DAYS", 30)


def lead_response_days() -> int:
    return _int("LEAD_RESPONSE_DAYS", 5)


def conflict_due_days(kind: str) -> int:
    configured = getattr(settings, "KEYCHANNEL_CONFLICT_DUE_DAYS", None) or {}
    return int(configured.get(str(kind), CONFLICT_DUE_DAYS.get(kind, 10)))

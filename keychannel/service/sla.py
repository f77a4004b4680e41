"""The service-level clock of a case: due times in business hours, pauses while waiting on the client, risk.

- Response due: ``opened_at`` + the tier's response target (business hours). Met by the first public reply.
- Resolution due: ``opened_at`` + the resolution target + the business time spent waiting on the client.
- Risk of an open case: *at risk* once 80 % of the target's business time is used (the near-breach escalation
  point), *breached* past the due time, *paused* while waiting on the client.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from . import calendar
from .choices import Risk
from .models import ServiceCase

NEAR_BREACH_SHARE = Decimal("0.8")


def response_due(case: ServiceCase) -> datetime.datetime:
    return calendar.add_business_hours(case.opened_at, case.response_hours)


def resolution_due(case: ServiceCase) -> datetime.datetime:
    return calendar.add_business_seconds(case.opened_at, float(case.resolution_hours) * 3600 + case.paused_seconds)


def set_due_times(case: ServiceCase) -> None:
    case.response_due_at = response_due(case)
    case.resolution_due_at = resolution_due(case)


def pause(case: ServiceCase, now: datetime.datetime) -> None:
    if case.paused_at is None:
        case.paused_at = now


def resume(case: ServiceCase, now: datetime.datetime) -> int:
    """End a pause: its business seconds move the resolution due time. Returns the seconds added."""
    if case.paused_at is None:
        return 0
    added = calendar.business_seconds_between(case.paused_at, now)
    case.paused_seconds += added
    case.paused_at = None
    case.resolution_due_at = resolution_due(case)
    return added


def used_share(case: ServiceCase, now: datetime.datetime, *, target: str = "resolution") -> Decimal:
    """The share of a target's business time used at ``now`` (pauses excluded)."""
    if target == "response":
        total = Decimal(case.response_hours) * 3600
        used = calendar.business_seconds_between(case.opened_at, now)
    else:
        total = Decimal(case.resolution_hours) * 3600
        until = case.paused_at or now
        used = calendar.business_seconds_between(case.opened_at, until) - case.paused_seconds
    return Decimal(max(used, 0)) / total if total else Decimal(1)


def risk(case: ServiceCase, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    if not case.is_open:
        return Risk.BREACHED if case.resolution_breached or case.response_breached else Risk.MET
    if case.resolution_breached or case.response_breached:
        return Risk.BREACHED
    if case.paused_at is not None:
        return Risk.PAUSED
    if now > case.resolution_due_at or (case.first_response_at is None and now > case.response_due_at):
        return Risk.BREACHED
    shares = [used_share(case, now)]
    if case.first_response_at is None:
        shares.append(used_share(case, now, target="response"))
    return Risk.AT_RISK if max(shares) >= NEAR_BREACH_SHARE else Risk.ON_TRACK

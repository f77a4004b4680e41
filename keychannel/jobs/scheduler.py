"""Scheduled jobs without system cron: each worker's housekeeping (or ``keychannel scheduler``) calls ``tick()``, which
starts every job that is due in the current period as a task, once per period however many schedulers run: the
first to insert the ``ScheduledRun`` row for (job, period start) wins; the others hit the unique constraint.

The jobs are the project's periodic management commands, run through ``call_command`` (so ``keychannel <name>``
keeps working by hand). The periods are in ``SCHEDULE`` (seconds); ``KEYCHANNEL_SCHEDULE`` in the environment
changes them, e.g. ``reroute_leads=600,purge_uploads=0`` (0 turns a job off). Periods start at multiples of their
length since 1970-01-01 UTC (a daily job's period starts at 00:00 UTC).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

FIVE_MINUTES, HOUR, DAY = 300, 3600, 86400
# name of the management command → (period in seconds, what it does)
JOBS = {
    "escalate_cases": (FIVE_MINUTES, _("Escalate service cases near or past their service-level target")),
    "reroute_leads": (HOUR, _("Time out unanswered lead offers and pass the leads on")),
    "send_event_reminders": (HOUR, _("Remind invitees of events starting within a day")),
    "prune_idempotency_keys": (HOUR, _("Delete API idempotency keys past their retention")),
    "expire_registrations": (DAY, _("Expire registrations whose protection ended; hand over after grace")),
    "send_notification_digests": (DAY, _("Mail the daily digest of notifications to those who chose it")),
    "notify_expiring_contracts": (DAY, _("Notify owners of contracts ending within 60 days")),
    "refresh_buying_centres": (DAY, _("Recompute buying-centre coverage and risk flags")),
    "goal_status_sweep": (DAY, _("Announce goals whose status changed (webhooks)")),
    "recompute_levels": (DAY, _("Requalify distributors for the program's levels")),
    "apply_rule_conditions": (DAY, _("Raise the ledger entries of penalty and restriction rules")),
    "purge_uploads": (DAY, _("Delete old rejected and waiting sales reports")),
    "prune_task_results": (DAY, _("Delete finished task records older than 30 days")),
    "clearsessions": (DAY, _("Remove expired sessions")),
    "purge_security_events": (DAY, _("Delete security events past their retention")),
}


def schedule() -> dict[str, int]:
    """The jobs that run and their periods in seconds, with ``KEYCHANNEL_SCHEDULE`` applied."""
    periods = {name: seconds for name, (seconds, _label) in JOBS.items()}
    for item in filter(None, (part.strip() for part in os.environ.get("KEYCHANNEL_SCHEDULE", "").split(","))):
        name, _sep, value = item.partition("=")
        if name.strip() not in JOBS or not value.strip().isdigit():
            raise ImproperlyConfigured(f"KEYCHANNEL_SCHEDULE: {item!r} is not <job>=<seconds> with a known job")
        periods[name.strip()] = int(value)
    return {name: seconds for name, seconds in periods.items() if seconds > 0}


def period_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def tick(now=None) -> list:
    """Start the jobs due in their current period (once per period, whatever the number of schedulers)."""
    from .leases import enqueue
    from .models import ScheduledRun
    from .tasks import run_scheduled_job

    now = now or timezone.now()
    started = []
    for name, seconds in schedule().items():
        start = period_start(now, seconds)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=name, period_start=start)
        except IntegrityError:
            continue  # another scheduler started this period's run
        logger.info("scheduled job %s for %s", name, start)
        enqueue(ScheduledRun, run.pk, run_scheduled_job)
        started.append(run)
    return started


def last_runs() -> list:
    """Each scheduled job with its period and its latest run (the jobs page)."""
    from .models import ScheduledRun

    periods = schedule()
    latest = {name: ScheduledRun.objects.filter(job=name).order_by("-period_start").first() for name in JOBS}
    return [{"job": name, "label": label, "every": timedelta(seconds=periods[name]) if name in periods else None,
             "last": latest.get(name)} for name, (_seconds, label) in JOBS.items()]

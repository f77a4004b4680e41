"""Tasks of the jobs app: one run of a scheduled job (keychannel/jobs/scheduler.py)."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import leases
from .models import ScheduledRun


@task
def run_scheduled_job(run_id: int) -> str:
    """Run the management command of one ScheduledRun; its output and outcome are stored on the run."""
    token = leases.claim(ScheduledRun, run_id)
    if token is None:
        return "skipped"
    run = ScheduledRun.objects.get(pk=run_id)
    out = io.StringIO()
    try:
        with transaction.atomic():
            call_command(run.job, stdout=out, stderr=out)
            leases.finish(ScheduledRun, run_id, token, output=out.getvalue()[-20000:])
    except Exception as exc:
        leases.fail(ScheduledRun, run_id, token, f"{type(exc).__name__}: {exc}", output=out.getvalue()[-20000:])
        raise
    return "done"


def retry_scheduled_run(run: ScheduledRun) -> None:
    """Run a failed scheduled run again (the jobs page's retry): queued under the same (job, period) row."""
    now = timezone.now()
    updated = ScheduledRun.objects.filter(pk=run.pk, status="failed").update(
        status="queued", task_id="", claim_token="", error="", finished_at=None, updated_at=now)
    if updated:
        leases.enqueue(ScheduledRun, run.pk, run_scheduled_job)

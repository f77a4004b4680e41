"""Leases for long background jobs, so that a job whose worker died runs again, and is applied exactly once.

django-tasks-db claims a task with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL), marks it RUNNING, commits, and
then runs it; a worker killed while running it leaves it RUNNING for ever (the queue has no lease of its own), and
Redis/RQ only notices a dead worker after its own timeout. So the jobs that matter carry their own lease
(``LeasedJob``):

1. ``claim``: a short transaction locks the job row; a job that is done/failed, or running under a live lease, is
   left alone; otherwise it becomes ``running`` with a new ``claim_token`` and ``lease_until = now + LEASE``.
2. ``Heartbeat``: while the job works (inside its own long transaction), a thread with its own database connection
   renews the lease and writes the progress every HEARTBEAT seconds (only while the token is still this worker's).
3. ``finish``: the last statement of the job's transaction is ``UPDATE … SET status = done WHERE claim_token =
   mine``; if another worker took the job over meanwhile it matches nothing, and ``LeaseLost`` rolls everything back.
   A worker killed before its commit leaves nothing: the database rolls its transaction back.
4. ``recover``: a job still ``running`` after its lease ran out lost its worker: it is queued again (a new task), at
   most MAX_ATTEMPTS times, then marked failed. Every worker's housekeeping runs it (keychannel/jobs/housekeeping.py).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import JobStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class LeaseLost(Exception):
    """Another worker took this job over (this one was presumed dead): this worker's work is rolled back."""


class WorkerLost(Exception):
    """Recorded on a task result whose worker stopped without finishing it (the job was queued again)."""


def _lease_end(now=None):
    return (now or timezone.now()) + timedelta(seconds=settings.KEYCHANNEL_TASK_LEASE)


def claim(model, pk) -> str | None:
    """Make the job this worker's: returns the claim token, or None when there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        job = model._base_manager.select_for_update().filter(pk=pk).first()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return None
        if job.status == JobStatus.RUNNING and job.lease_until and job.lease_until > now:
            return None  # another worker holds it
        token = uuid.uuid4().hex
        model._base_manager.filter(pk=pk).update(
            status=JobStatus.RUNNING, claim_token=token, lease_until=_lease_end(now), attempts=F("attempts") + 1,
            started_at=now, error="", updated_at=now)
        return token


def finish(model, pk, token, **fields) -> None:
    """Inside the job's transaction, last: mark it done, or roll everything back if the lease was lost."""
    now = timezone.now()
    updated = model._base_manager.filter(pk=pk, claim_token=token, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE, finished_at=now, lease_until=None, updated_at=now, **fields)
    if not updated:
        raise LeaseLost(f"{model._meta.label} {pk}")


def fail(model, pk, token, message: str, **fields) -> None:
    """Outside the job's (rolled back) transaction: record why it failed, if it is still this worker's."""
    now = timezone.now()
    model._base_manager.filter(pk=pk, claim_token=token, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, finished_at=now, lease_until=None, error=message[:2000], updated_at=now, **fields)


class Heartbeat:
    """A thread that renews the lease and writes the progress while the job runs (its own DB connection)."""

    def __init__(self, model, pk, token):
        self.model, self.pk, self.token = model, pk, token
        self.done = self.total = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{model._meta.model_name}-{pk}", daemon=True)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def _run(self):
        try:
            if connection.vendor == "sqlite":
                # The job's transaction holds SQLite's one write lock: skip a beat rather than wait for it.
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 100")
            while not self._stop.wait(settings.KEYCHANNEL_TASK_HEARTBEAT):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        from django.db import OperationalError

        try:
            renewed = self.model._base_manager.filter(pk=self.pk, claim_token=self.token).update(
                lease_until=_lease_end(), progress_done=self.done, progress_total=self.total)
        except OperationalError:  # SQLite: locked by the job itself; the next beat tries again
            return
        if not renewed:
            self.lost = True


def recover(model, task, *, now=None) -> int:
    """Queue again the jobs of ``model`` whose worker was lost (``running`` with a lease that ran out), and the
    queued ones whose task never reached the queue. Returns how many were queued again (or given up)."""
    now = now or timezone.now()
    stale = model._base_manager.filter(status=JobStatus.RUNNING, lease_until__lt=now)
    unsent = model._base_manager.filter(status=JobStatus.QUEUED, task_id="",
                                        created_at__lt=now - timedelta(seconds=settings.KEYCHANNEL_TASK_LEASE))
    count = 0
    for pk in list(stale.values_list("pk", flat=True)[:100]) + list(unsent.values_list("pk", flat=True)[:100]):
        with transaction.atomic():
            job = model._base_manager.select_for_update(skip_locked=True).filter(pk=pk).first()
            if job is None:
                continue
            lost = job.status == JobStatus.RUNNING and job.lease_until and job.lease_until < now
            if not lost and not (job.status == JobStatus.QUEUED and not job.task_id):
                continue
            if lost:
                _mark_task_lost(job.task_id, now)
            if lost and job.attempts >= MAX_ATTEMPTS:
                model._base_manager.filter(pk=pk).update(
                    status=JobStatus.FAILED, finished_at=now, lease_until=None, claim_token="", updated_at=now,
                    error=_("The worker running this job stopped %(n)d times; it was not tried again.") % {
                        "n": job.attempts})
                count += 1
                continue
            model._base_manager.filter(pk=pk).update(status=JobStatus.QUEUED, claim_token="", lease_until=None,
                                                     task_id="", updated_at=now)
        logger.warning("%s %s lost its worker (attempt %s): queued again", model._meta.label, pk, job.attempts)
        enqueue(model, pk, task)
        count += 1
    return count


def enqueue(model, pk, task) -> str:
    """Send the job's task to the queue and remember its id (after the job row is committed)."""
    result = task.enqueue(pk)
    model._base_manager.filter(pk=pk, task_id="").update(task_id=str(result.id)[:64])
    return str(result.id)


def _mark_task_lost(task_id: str, now) -> None:
    """The database queue keeps a dead worker's task RUNNING for ever: close it as failed (WorkerLost)."""
    if not task_id or settings.TASKS_BACKEND != "database":
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=f"{__name__}.WorkerLost",
        traceback="WorkerLost: the worker stopped while running this task; the job was queued again.")

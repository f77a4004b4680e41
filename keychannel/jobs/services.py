"""Writes of the jobs page and API: retry a failed task or a failed scheduled run."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks.base import Task

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require

from .models import ScheduledRun
from .tasks import retry_scheduled_run


def task_retry(*, principal, task_id: str) -> str:
    """Queue a failed task again with the same arguments (a new task); returns the new task's id. Tasks are
    written to be run again: an import or a scheduled run that is already done does nothing."""
    require(principal, "jobs.manage")
    if settings.TASKS_BACKEND == "redis":
        return _redis_retry(task_id)
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    try:
        record = DBTaskResult.objects.filter(id=task_id).first()
    except ValidationError:
        record = None
    if record is None:
        raise Http404
    if record.status != TaskResultStatus.FAILED:
        raise ConflictError(_("Only a failed task can be retried."))
    # The task again, now: not record.task, which carries the failed attempt's run_after (a time already past,
    # and one that a backend without scheduling refuses).
    task = import_string(record.task_path)
    if not isinstance(task, Task):
        raise Http404
    task = task.using(priority=record.priority, queue_name=record.queue_name, backend=record.backend_name)
    result = task.enqueue(*record.args_kwargs.get("args", []), **record.args_kwargs.get("kwargs", {}))
    return str(result.id)


def _redis_retry(task_id: str) -> str:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.exceptions import NoSuchJobError
    from rq.job import JobStatus

    try:
        job = Job.fetch(task_id, connection=django_rq.get_connection())
    except NoSuchJobError:
        raise Http404 from None
    if job.get_status() != JobStatus.FAILED:
        raise ConflictError(_("Only a failed task can be retried."))
    result = job.func.enqueue(*job.args, **job.kwargs)
    return str(result.id)


def scheduled_run_retry(*, principal, run: ScheduledRun) -> ScheduledRun:
    require(principal, "jobs.manage")
    if run.status != "failed":
        raise ConflictError(_("Only a failed run can be retried."))
    retry_scheduled_run(run)
    run.refresh_from_db()
    return run

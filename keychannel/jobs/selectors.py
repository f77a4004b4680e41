"""Reads of the jobs page and API: task records of the queue, long jobs, scheduled jobs' last runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from keychannel.core.policies import require

from . import scheduler
from .choices import JobStatus
from .registry import job_models

STATUSES = ("READY", "RUNNING", "FAILED", "SUCCESSFUL")


@dataclass
class TaskRow:
    id: str
    name: str
    path: str
    status: str
    enqueued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    error: str
    args: str

    @property
    def updated_at(self) -> datetime | None:
        """When the task last changed state (updated_since on the jobs list)."""
        return self.finished_at or self.started_at or self.enqueued_at


def _error(exception_class_path: str, traceback: str) -> str:
    last = (traceback or "").strip().splitlines()[-1:] or [""]
    return (last[0] or exception_class_path)[:300]


def task_list(*, principal, status: str | None = None, limit: int = 200) -> list[TaskRow]:
    """The queue's tasks, newest first: ``status`` one of READY (queued), RUNNING, FAILED, SUCCESSFUL, or all."""
    require(principal, "jobs.manage")
    if settings.TASKS_BACKEND == "redis":
        return _redis_tasks(status, limit)
    from django_tasks_db.models import DBTaskResult

    qs = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        qs = qs.filter(status=status)
    return [TaskRow(id=str(t.id), name=t.task_path.rsplit(".", 1)[-1], path=t.task_path, status=t.status,
                    enqueued_at=t.enqueued_at, started_at=t.started_at, finished_at=t.finished_at,
                    attempts=len(t.worker_ids or []), error=_error(t.exception_class_path, t.traceback),
                    args=repr(t.args_kwargs.get("args", []))[:120])
            for t in qs.defer("return_value")[:limit]]


def _redis_tasks(status, limit) -> list[TaskRow]:
    import django_rq
    from django_tasks_rq.backend import RQ_STATUS_TO_RESULT_STATUS, Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

    queue = django_rq.get_queue("default", job_class=Job)
    ids = {
        "READY": list(queue.get_job_ids()),
        "RUNNING": StartedJobRegistry(queue=queue).get_job_ids(),
        "FAILED": FailedJobRegistry(queue=queue).get_job_ids(),
        "SUCCESSFUL": FinishedJobRegistry(queue=queue).get_job_ids(),
    }
    wanted = [status] if status else list(STATUSES)
    rows = []
    for state in wanted:
        for job in Job.fetch_many(ids.get(state, [])[:limit], connection=queue.connection):
            if job is None:
                continue
            result = job.latest_result()
            rows.append(TaskRow(
                id=job.id, name=job.func_name.rsplit(".", 1)[-1], path=job.func_name,
                status=RQ_STATUS_TO_RESULT_STATUS.get(job.get_status(), state), enqueued_at=job.enqueued_at,
                started_at=job.started_at, finished_at=job.ended_at, attempts=len(job.results()),
                error=_error("", result.exc_string if result is not None and result.exc_string else ""),
                args=repr(list(job.args))[:120]))
    rows.sort(key=lambda r: r.enqueued_at or datetime.min, reverse=True)
    return rows[:limit]


def long_jobs(*, principal, limit: int = 50) -> list[dict]:
    """Each registered long-job model (sales imports, …) with its queued, running and failed rows."""
    require(principal, "jobs.manage")
    out = []
    for model in job_models():
        qs = model.objects.visible_to(principal).filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED]).order_by("-created_at")
        if any(f.name == "content" for f in model._meta.fields):
            qs = qs.defer("content")
        out.append({"label": model._meta.verbose_name_plural, "rows": list(qs[:limit])})
    return out


def scheduled_jobs(*, principal) -> list[dict]:
    require(principal, "jobs.manage")
    return scheduler.last_runs()

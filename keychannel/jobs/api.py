"""JSON API of the jobs page (admin and program manager): the queue's tasks, scheduled jobs, retry."""

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import ErrorOut

from . import selectors, services
from .models import ScheduledRun
from .schemas import RetriedOut, ScheduledJobOut, ScheduledRunOut, TaskFilter, TaskOut

router = Router(tags=["jobs"])


@router.get("/jobs", response=list[TaskOut], summary="Background tasks: queued (READY), running, failed, done")
@paginate(BoundedPagination)
def task_list(request, filters: Query[TaskFilter]):
    return selectors.task_list(principal=request.principal, status=filters.status, limit=1000)


@router.post("/jobs/{task_id}/retry", response={202: RetriedOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Queue a failed task again (same arguments, a new task)")
def task_retry(request, task_id: str):
    return Status(202, {"task_id": services.task_retry(principal=request.principal, task_id=task_id)})


@router.get("/jobs/scheduled", response=list[ScheduledJobOut], summary="Scheduled jobs and their last runs")
def scheduled_list(request):
    return [{"job": row["job"], "label": str(row["label"]),
             "every_seconds": int(row["every"].total_seconds()) if row["every"] else None, "last_run": row["last"]}
            for row in selectors.scheduled_jobs(principal=request.principal)]


@router.post("/jobs/scheduled-runs/{int:run_id}/retry",
             response={202: ScheduledRunOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Run a failed scheduled run again")
def scheduled_retry(request, run_id: int):
    require(request.principal, "jobs.manage")
    run = get_object_or_404(ScheduledRun, pk=run_id)
    return Status(202, services.scheduled_run_retry(principal=request.principal, run=run))

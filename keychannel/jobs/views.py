"""The jobs page: the queue's tasks (queued, running, failed), long jobs, scheduled jobs' last runs; retry."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require

from . import selectors, services
from .models import ScheduledRun


def job_list(request):
    principal = request.principal
    require(principal, "jobs.manage")
    status = request.GET.get("status", "")
    if status not in selectors.STATUSES:
        status = ""
    return render(request, "jobs/job_list.html", {
        "tasks": selectors.task_list(principal=principal, status=status or None, limit=200),
        "status": status, "statuses": selectors.STATUSES,
        "long_jobs": selectors.long_jobs(principal=principal),
        "scheduled": selectors.scheduled_jobs(principal=principal),
        "breadcrumbs": [(_("Background jobs"), "")],
    })


@require_POST
def task_retry(request, task_id):
    try:
        services.task_retry(principal=request.principal, task_id=task_id)
    except (ConflictError, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
    else:
        messages.success(request, _("The task is queued again."))
    return redirect("jobs:job_list")


@require_POST
def scheduled_retry(request, pk):
    require(request.principal, "jobs.manage")
    run = get_object_or_404(ScheduledRun, pk=pk)
    try:
        services.scheduled_run_retry(principal=request.principal, run=run)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The scheduled run is queued again."))
    return redirect("jobs:job_list")

"""Pages of background sales imports: a job's progress (polled by HTMX) and its retry."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.partials import is_htmx
from keychannel.core.policies import can
from keychannel.core.scoping import get_visible_or_404
from keychannel.jobs.choices import JobStatus

from . import imports
from .models import ImportJob


def _job(request, pk):
    return get_visible_or_404(ImportJob.objects.select_related("distributor", "report", "uploaded_by"),
                              request.principal, pk=pk)


def import_detail(request, pk):
    """The job's progress (rows checked / rows in the file); an HTMX poll every second until it is finished, then
    the report page (the result, or the problems found)."""
    job = _job(request, pk)
    if is_htmx(request):
        if job.status == JobStatus.DONE and job.report_id:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = job.report.get_absolute_url()
            return response
        return render(request, "sales/import_status.html", {"job": job})
    if job.status == JobStatus.DONE and job.report_id:
        return redirect(job.report)
    return render(request, "sales/import_detail.html", {
        "job": job, "may_retry": can(request.principal, "sales.salesreport.upload", job.distributor),
        "breadcrumbs": [(_("Sales reports"), "sales:report_list"), (_("Import"), "")],
    })


@require_POST
def import_retry(request, pk):
    job = _job(request, pk)
    try:
        job = imports.import_job_retry(principal=request.principal, job=job)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The import is queued again."))
    return redirect(job)

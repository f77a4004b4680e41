"""Sales imports in the background (docs/sales.md, "Imports in the background").

The upload page and ``POST /api/v1/sales-imports`` store the file as an ``ImportJob`` and queue the task
``keychannel.sales.tasks.import_run``; they answer at once. A worker then applies the file through the same
``services.report_import`` as every other path (limits, repeated lines, whole or nothing, scoping: the import runs as
the user who uploaded it). The job's lease (keychannel/jobs/leases.py) makes a job whose worker died run again, and
be applied exactly once: the report and ``status = done`` are committed together, after checking the lease is
still this worker's.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.scoping import Principal
from keychannel.core.text import printable
from keychannel.jobs import leases
from keychannel.jobs.choices import JobStatus

from . import services
from .choices import ReportSource, ReportStatus
from .models import ColumnMapping, ImportJob, SalesReport


def import_job_create(*, principal, distributor, data: bytes, file_name: str, period="", mapping_name: str = "",
                      supersede: bool = False, source: str = ReportSource.UPLOAD) -> ImportJob:
    """Check what can be checked at once (permission, size, period, mapping name), store the file and queue it."""
    require(principal, "sales.salesreport.upload", distributor)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    services.check_upload_size(len(data))
    period_date = services.parse_period(period)
    mapping_name = (mapping_name or "").strip()
    if mapping_name and not ColumnMapping.objects.filter(distributor=distributor, name=mapping_name).exists():
        raise ValidationError({"mapping": _("No column mapping named “%(name)s” for this distributor.") % {
            "name": mapping_name}})
    with transaction.atomic():
        job = ImportJob.objects.create(
            distributor=distributor, file_name=printable(file_name or "report")[:200], content=data,
            period=period_date.strftime("%Y-%m") if period_date else "", mapping_name=mapping_name[:80],
            supersede=supersede, source=source, uploaded_by=principal.user)
    from .tasks import import_run

    leases.enqueue(ImportJob, job.pk, import_run)
    job.refresh_from_db()
    return job


def import_job_run(job_id: int) -> str:
    """The task's body: claim the job, import it (one transaction, with the job marked done in it), or record why
    not. Returns what happened: done, failed, skipped (nothing to do / another worker has it), lost."""
    token = leases.claim(ImportJob, job_id)
    if token is None:
        return "skipped"
    job = ImportJob._base_manager.select_related("distributor", "uploaded_by", "report").get(pk=job_id)
    principal = Principal.for_user(job.uploaded_by)
    try:
        with leases.Heartbeat(ImportJob, job_id, token) as beat:
            with transaction.atomic():
                if job.report_id:  # a re-run: validate the stored report again (import_job_rerun)
                    report = services.report_reprocess(principal=principal, report=job.report,
                                                       supersede=job.supersede, progress=beat.progress)
                else:
                    report = services.report_import(
                        principal=principal, distributor=job.distributor, data=bytes(job.content),
                        file_name=job.file_name, period=job.period or None, mapping_name=job.mapping_name,
                        supersede=job.supersede, source=job.source, progress=beat.progress)
                leases.finish(ImportJob, job_id, token, report_id=report.pk, content=b"",
                              progress_done=report.row_count, progress_total=report.row_count)
    except leases.LeaseLost:
        return "lost"
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        # The file (or the uploader's rights) is what is wrong: nothing was imported; a new upload is needed.
        leases.fail(ImportJob, job_id, token, _error_text(exc), content=b"")
        return "failed"
    except Exception as exc:
        # Anything else (a database outage, a bug): nothing was imported; the file is kept for a retry.
        leases.fail(ImportJob, job_id, token, _("The import stopped on an unexpected error (%(error)s); nothing was "
                                                "imported.") % {"error": type(exc).__name__})
        raise
    return "done"


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    if isinstance(exc, PermissionDenied):
        return _("The uploader may no longer import reports for this distributor; nothing was imported.")
    return str(getattr(exc, "message", None) or exc)


def import_job_retry(*, principal, job: ImportJob) -> ImportJob:
    """Queue a failed import again (its file must still be kept: failures on the file itself need a new upload)."""
    require(principal, "sales.salesreport.upload", job.distributor)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.FAILED:
            raise ConflictError(_("Only a failed import can be tried again."))
        if not job.content and not (job.report_id and job.report.content):
            raise ConflictError(_("This import's file is no longer kept; upload it again."))
        ImportJob._base_manager.filter(pk=job.pk).update(
            status=JobStatus.QUEUED, task_id="", claim_token="", error="", finished_at=None, progress_done=0,
            updated_at=timezone.now())
    from .tasks import import_run

    leases.enqueue(ImportJob, job.pk, import_run)
    job.refresh_from_db()
    return job


def import_job_rerun(*, principal, report: SalesReport, supersede: bool = False) -> ImportJob:
    """Validate a rejected or waiting report again in the background, after its clients and codes were fixed
    (fixes.py): a new job for the same report, run as ``principal``; like every import it applies whole or not at
    all. One re-run of a report at a time."""
    require(principal, "sales.salesreport.upload", report.distributor)
    with transaction.atomic():
        report = SalesReport.objects.select_for_update().get(pk=report.pk)
        if report.status not in (ReportStatus.REJECTED, ReportStatus.CONFLICT):
            raise ConflictError(_("Only a rejected or waiting report can be validated again."))
        if not report.content:
            raise ConflictError(_("This report's file is no longer kept; upload the corrected file again."))
        if ImportJob.objects.filter(report=report, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise ConflictError(_("This report is already being validated again."))
        job = ImportJob.objects.create(
            distributor_id=report.distributor_id, file_name=report.file_name, content=b"", report=report,
            period=report.period.strftime("%Y-%m") if report.period else "", supersede=supersede,
            source=report.source, uploaded_by=principal.user)
    from .tasks import import_run

    leases.enqueue(ImportJob, job.pk, import_run)
    job.refresh_from_db()
    return job


def import_recover() -> int:
    """Housekeeping: queue again the imports whose worker was lost (keychannel/jobs/leases.py ``recover``)."""
    from .tasks import import_run

    return leases.recover(ImportJob, import_run)

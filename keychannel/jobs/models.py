"""Background jobs: the lease a long job holds while a worker runs it (docs/operations.md, "Background work")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from keychannel.core.models import TimeStampedModel

from .choices import JobStatus


class LeasedJob(TimeStampedModel):
    """A unit of background work whose worker may die: the worker that claims it holds a lease (``claim_token``,
    ``lease_until``) and renews it while it works; the work and ``status = done`` are written in one transaction
    that first checks the token, so the job is applied once even when a lost job was given to another worker.
    See keychannel/jobs/leases.py."""

    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED,
                              db_index=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))


class ScheduledRun(LeasedJob):
    """One run of one scheduled job for one period (keychannel/jobs/scheduler.py): the unique (job, period) row is
    what makes several workers' schedulers start each job once per period."""

    job = models.CharField(_("job"), max_length=60)
    period_start = models.DateTimeField(_("period"))
    output = models.TextField(_("output"), blank=True)

    class Meta:
        ordering = ["-period_start", "job"]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "period_start"], name="jobs_scheduledrun_once_per_period"),
        ]

    def __str__(self):
        return f"{self.job} @ {self.period_start:%Y-%m-%d %H:%M}"

"""A worker killed (SIGKILL) in the middle of a sales import: nothing of the import is applied, and once its lease
has run out another worker's housekeeping queues the job again, which then applies the file exactly once.

On PostgreSQL the kill comes while the import's transaction is open (the heartbeat has already reported rows
checked); on SQLite, whose one write lock keeps the heartbeat from writing until the import commits, it comes just
after the worker claimed the job."""

from decimal import Decimal

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from keychannel.jobs.tests.conftest import wait_for
from keychannel.sales import imports
from keychannel.sales.models import ImportJob, SalesLine, SalesReport
from keychannel.sales.tests.factories import PRODUCT_CODES, csv_file, map_samples

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 40_000


def _big_file(tax_ids):
    rows = [(f"{1 + n % 28:02d}.10.2026", tax_ids[n % len(tax_ids)], "Client", PRODUCT_CODES[n % len(PRODUCT_CODES)],
             str(1 + n % 9), f"{Decimal(n) / 100 + 1:.2f}".replace(".", ",")) for n in range(ROWS)]
    return csv_file(rows)


def test_a_worker_killed_during_an_import_leaves_nothing_and_the_retried_import_applies_once(workers, world):
    """The task ``import_run`` on a real worker process, killed while it imports."""
    clients = map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=_big_file(sorted(clients)), file_name="month-end.csv", period="2026-10")
    assert job.status == "queued" and job.task_id
    first = workers.start()
    inside = {"status": "running"}
    if connection.vendor == "postgresql":
        inside["progress_done__gt"] = 0  # the import's transaction is open: rows are being checked
    wait_for(lambda: ImportJob.objects.filter(pk=job.pk, **inside).exists(), what="the import to be under way")
    workers.kill(first)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.report_id) == ("running", 1, None), workers.logs()[-3000:]
    assert not SalesReport.objects.exists() and not SalesLine.objects.exists()
    # django-tasks-db keeps the dead worker's task RUNNING: its queue has no lease of its own.
    assert DBTaskResult.objects.get(id=job.task_id).status == "RUNNING"
    lost_task = job.task_id

    workers.start()  # its housekeeping finds the lease run out and queues the job again
    job = wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).first(), timeout=240,
                   what="the retried import")
    assert (job.status, job.attempts, job.error) == ("done", 2, ""), workers.logs()[-3000:]
    report = job.report
    assert (report.status, report.line_count, report.row_count) == ("applied", ROWS, ROWS)
    assert SalesReport.objects.count() == 1 and SalesLine.objects.count() == ROWS
    assert job.task_id != lost_task
    lost = DBTaskResult.objects.get(id=lost_task)
    assert (lost.status, lost.exception_class_path) == ("FAILED", "keychannel.jobs.leases.WorkerLost")
    # The worker records its task's outcome just after the job's commit.
    wait_for(lambda: DBTaskResult.objects.filter(id=job.task_id, status="SUCCESSFUL").exists(), what="the task's end")

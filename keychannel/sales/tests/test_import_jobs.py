"""Background sales imports: the upload page and POST /api/v1/sales-imports answer at once with a job; the job
page (HTMX polling) and GET /api/v1/sales-imports/{id} show the rows checked and then the report. The worker's
side runs here in the test process (``imports.import_job_run``); keychannel/jobs/tests runs real workers."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keychannel.jobs import leases
from keychannel.sales import imports
from keychannel.sales.models import ImportJob, SalesLine, SalesReport
from keychannel.sales.tests.factories import csv_file, map_samples, sample

pytestmark = pytest.mark.django_db

ROW = ("02.10.2026", "49668380", "Univers", "SNS-12", "1", "10")


@pytest.fixture
def queued(settings):
    """The database queue with no worker: jobs wait until the test runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"


def _named(data, name):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_the_upload_page_answers_at_once_and_the_job_page_follows_the_import(world, login, queued):
    map_samples(world.own)
    page = login(world.user("dist_head"))
    response = page.post(reverse("sales:report_upload"), {"distributor": world.own.pk,
                                                          "file": _named(sample("cp1250"), "oct.csv")},
                         HTTP_HX_REQUEST="true")
    job = ImportJob.objects.get()
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("sales:import_detail", args=[job.pk])
    assert (job.status, job.report_id) == ("queued", None) and not SalesReport.objects.exists()
    detail = page.get(job.get_absolute_url())
    assert detail.status_code == 200 and b'hx-trigger="every 1s"' in detail.content and b"Waiting for a worker" in detail.content
    assert imports.import_job_run(job.pk) == "done"
    poll = page.get(job.get_absolute_url(), HTTP_HX_REQUEST="true")
    job.refresh_from_db()
    assert poll.status_code == 204 and poll["HX-Redirect"] == job.report.get_absolute_url()
    assert (job.report.status, job.report.line_count, job.progress_total) == ("applied", 240, 240)
    assert not bytes(job.content)  # the file now lives on the report only (or nowhere)
    assert imports.import_job_run(job.pk) == "skipped"  # a second delivery of the task changes nothing
    assert SalesLine.objects.count() == 240
    # Another distributor's head sees nothing of it.
    assert login(world.other_users["dist_head"]).get(job.get_absolute_url()).status_code == 404


def test_the_import_api_answers_202_then_progress_then_the_report(world, api_as, queued):
    map_samples(world.own)
    head = api_as(world.user("dist_head"))
    created = head.post("/api/v1/sales-imports", {"file": _named(sample("bad"), "bad.csv"), "period": "2026-10"})
    assert created.status_code == 202, created.content
    body = created.json()
    assert (body["status"], body["rows_done"], body["report"]) == ("queued", 0, None)
    assert head.get(f"/api/v1/sales-imports/{body['id']}").json()["status"] == "queued"
    imports.import_job_run(body["id"])
    done = head.get(f"/api/v1/sales-imports/{body['id']}").json()
    assert (done["status"], done["report"]["status"], done["report"]["error_count"]) == ("done", "rejected", 3)
    assert [e["row"] for e in done["report"]["errors"]] == [6, 10, 15] and not SalesLine.objects.exists()
    assert [j["id"] for j in head.get("/api/v1/sales-imports").json()["items"]] == [body["id"]]
    assert api_as(world.other_users["dist_head"]).get(f"/api/v1/sales-imports/{body['id']}").status_code == 404
    assert api_as(world.user("dist_sales")).post("/api/v1/sales-imports", {"file": _named(sample("bad"), "b.csv")}
                                                 ).status_code == 403
    refused = head.post("/api/v1/sales-imports", {"file": _named(b"", "empty.csv")})
    assert refused.status_code == 422 and ImportJob.objects.count() == 1
    assert head.post("/api/v1/sales-imports", {"file": _named(sample("bad"), "b.csv"), "period": "10/2026"}
                     ).status_code == 422


def test_without_a_queue_the_api_job_is_done_in_the_answer(world, api_as):
    map_samples(world.own)
    created = api_as(world.user("dist_head")).post("/api/v1/sales-imports", {"file": _named(sample("cp1250"), "a.csv")})
    assert created.status_code == 202
    assert (created.json()["status"], created.json()["report"]["line_count"]) == ("done", 240)


def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason_and_keeps_nothing(world, login, queued):
    map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=b"\x00\x01 not a table", file_name="junk.xlsx")
    assert imports.import_job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.error and not bytes(job.content) and not SalesReport.objects.exists()
    page = login(world.user("dist_head")).get(job.get_absolute_url())
    assert b'id="import-error"' in page.content and b"import-retry" not in page.content


def test_a_lost_worker_job_is_queued_again_and_the_late_worker_cannot_apply_it(world, queued):
    """The lease: a worker that lost its claim (presumed dead, job given to another) has its work rolled back."""
    map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=csv_file([ROW]), file_name="one.csv")
    slow = leases.claim(ImportJob, job.pk)
    assert slow and leases.claim(ImportJob, job.pk) is None  # a live lease is respected
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    first_task = ImportJob.objects.get(pk=job.pk).task_id
    assert imports.import_recover() == 1
    job.refresh_from_db()
    assert (job.status, job.claim_token) == ("queued", "") and job.task_id != first_task
    with pytest.raises(leases.LeaseLost):
        leases.finish(ImportJob, job.pk, slow)
    assert imports.import_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.attempts, job.report.status) == (2, "applied") and SalesLine.objects.count() == 1
    assert imports.import_recover() == 0


def test_a_job_whose_worker_keeps_dying_is_given_up(world, queued):
    map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=csv_file([ROW]), file_name="one.csv")
    for _attempt in range(leases.MAX_ATTEMPTS):
        assert leases.claim(ImportJob, job.pk)
        ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        imports.import_recover()
    job.refresh_from_db()
    assert job.status == "failed" and "3 times" in job.error and bytes(job.content)


def test_a_failed_job_with_its_file_kept_can_be_retried(world, login, api_as, queued):
    map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=csv_file([ROW]), file_name="one.csv")
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="The import stopped on an unexpected error")
    assert api_as(world.user("dist_sales")).post(f"/api/v1/sales-imports/{job.pk}/retry").status_code == 403
    page = login(world.user("dist_head"))
    assert b"import-retry" in page.get(job.get_absolute_url()).content
    assert page.post(reverse("sales:import_retry", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "queued"
    assert api_as(world.user("dist_head")).post(f"/api/v1/sales-imports/{job.pk}/retry").status_code == 409
    imports.import_job_run(job.pk)
    assert ImportJob.objects.get(pk=job.pk).report.status == "applied"


def test_the_heartbeat_renews_the_lease_and_writes_the_progress(world, queued):
    map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=csv_file([ROW]), file_name="one.csv")
    token = leases.claim(ImportJob, job.pk)
    beat = leases.Heartbeat(ImportJob, job.pk, token)
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now())
    beat.progress(500, 1200)
    beat.beat()
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.percent) == (500, 1200, 41)
    assert job.lease_until > timezone.now() + timedelta(seconds=60) and not beat.lost
    ImportJob.objects.filter(pk=job.pk).update(claim_token="someone-else")
    beat.beat()
    assert beat.lost


# ---- the import rules on the background paths (tests/rules_catalogue.py) -------------------------------------------


def test_the_import_rules_hold_on_the_background_paths(world, api_as, settings):
    """``POST /api/v1/sales-imports`` and the task ``import_run``: a repeated line is refused (the report is rejected,
    nothing is imported, whole or nothing); the reader's caps fail the job with the limit named; the upload cap answers
    422 before anything is stored."""
    from keychannel.sales.tasks import import_run

    map_samples(world.own)
    head = api_as(world.user("dist_head"))
    created = head.post("/api/v1/sales-imports", {"file": _named(csv_file([ROW, ROW]), "twice.csv")})
    assert created.status_code == 202 and created.json()["report"]["status"] == "rejected"
    assert "repeated_line" in {e["reason"] for e in created.json()["report"]["errors"]}
    job = ImportJob.objects.create(distributor=world.own, file_name="t.csv", content=csv_file([ROW, ROW, ROW]),
                                   uploaded_by=world.user("dist_head"))
    assert import_run.enqueue(job.pk).return_value == "done"
    job.refresh_from_db()
    assert job.report.status == "rejected" and not SalesLine.objects.exists()
    from keychannel.sales.tests import crafted

    bomb = ImportJob.objects.create(distributor=world.own, file_name="b.xlsx", content=crafted.bomb(16),
                                    uploaded_by=world.user("dist_head"))
    assert import_run.enqueue(bomb.pk).return_value == "failed"
    bomb.refresh_from_db()
    assert "more than 1,000,000 cells" in bomb.error and bomb.report is None
    settings.KEYCHANNEL_MAX_UPLOAD_MB = 1
    big = csv_file([ROW]) + b" " * (1024 * 1024)
    refused = head.post("/api/v1/sales-imports", {"file": _named(big, "big.csv")})
    assert refused.status_code in (413, 422) and "1 MB" in refused.content.decode()
    assert ImportJob.objects.count() == 3


def test_a_retried_import_keeps_the_import_rules(world, api_as, login, queued):
    """``POST /api/v1/sales-imports/{id}/retry`` and ``sales:import_retry`` run the whole import again: a file with a
    repeated line is rejected, nothing is imported; a good file applies whole, once."""
    map_samples(world.own)
    bad = ImportJob.objects.create(distributor=world.own, file_name="t.csv", content=csv_file([ROW, ROW]),
                                   uploaded_by=world.user("dist_head"), status="failed", error="stopped")
    good = ImportJob.objects.create(distributor=world.own, file_name="g.csv", content=csv_file([ROW]),
                                    uploaded_by=world.user("dist_head"), status="failed", error="stopped")
    assert api_as(world.user("dist_head")).post(f"/api/v1/sales-imports/{bad.pk}/retry").status_code == 202
    assert login(world.user("dist_head")).post(reverse("sales:import_retry", args=[good.pk])).status_code == 302
    assert imports.import_job_run(bad.pk) == "done" and imports.import_job_run(good.pk) == "done"
    bad.refresh_from_db()
    good.refresh_from_db()
    assert "repeated_line" in {e["reason"] for e in bad.report.errors} and bad.report.status == "rejected"
    assert good.report.status == "applied" and SalesLine.objects.count() == 1

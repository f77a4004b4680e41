"""A distributor head uploads a sales file: the upload answers at once, the import's page follows the background
job (HTMX polling every second: waiting, rows checked) and opens the report when the worker is done. The worker's
side runs in the test process (``imports.import_job_run``); keychannel/jobs/tests kills and runs real workers."""

import pytest

from keychannel.sales import imports
from keychannel.sales.models import ImportJob
from keychannel.sales.tests.factories import map_samples, sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_upload_answers_at_once_and_the_page_follows_the_import_to_the_report(
        world, page, live_server, sign_in, screenshot, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"
    map_samples(world.own)
    path = tmp_path / "vanzari-octombrie.csv"
    path.write_bytes(sample("cp1250"))
    sign_in("w-da-head")
    page.goto(f"{live_server.url}/sales/reports/upload/")
    page.set_input_files("#upload-form input[type=file]", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import-status[data-status=queued]")
    assert "Waiting for a worker" in page.text_content("#import-status")
    screenshot("sales-import-queued")
    job = ImportJob.objects.get()
    # What a worker's heartbeat writes half-way through the file.
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress_done=120, progress_total=240)
    page.wait_for_selector("#import-rows >> text=120 of 240 rows checked")
    screenshot("sales-import-running")
    ImportJob.objects.filter(pk=job.pk).update(status="queued", progress_done=0, progress_total=0)
    assert imports.import_job_run(job.pk) == "done"
    page.wait_for_selector("#report-status")  # the poll found the job done and opened the report
    assert "Applied" in page.text_content("#report-status")
    assert page.url.endswith(ImportJob.objects.get().report.get_absolute_url())
    screenshot("sales-import-report")

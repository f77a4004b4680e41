"""The jobs page and /api/v1/jobs: queued, running and failed tasks, long jobs, scheduled jobs; retry."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from keychannel.core.tasks import mail_send
from keychannel.jobs.models import ScheduledRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"


def test_the_program_office_sees_the_queue_and_retries_a_failed_task(world, login, api_as, queued):
    waiting = mail_send.enqueue("Hello", "Body", ["a@example.com"])
    failed = mail_send.enqueue("Lost", "Body", ["b@example.com"])
    DBTaskResult.objects.filter(id=failed.id).update(status="FAILED", finished_at=timezone.now(),
                                                     exception_class_path="smtplib.SMTPServerDisconnected",
                                                     traceback="Traceback …\nSMTPServerDisconnected: gone")
    page = login(world.user("program_manager"))
    body = page.get(reverse("jobs:job_list")).content.decode()
    assert str(waiting.id) in body and str(failed.id) in body and "SMTPServerDisconnected: gone" in body
    assert "reroute_leads" in body  # the scheduled jobs are listed with their last runs
    only_failed = page.get(reverse("jobs:job_list") + "?status=FAILED").content.decode()
    assert str(failed.id) in only_failed and str(waiting.id) not in only_failed
    assert page.post(reverse("jobs:task_retry", args=[failed.id])).status_code == 302
    again = DBTaskResult.objects.filter(status="READY", args_kwargs__args__0="Lost")
    assert again.count() == 1  # the same message, queued as a new task
    api = api_as(world.user("admin"))
    listed = api.get("/api/v1/jobs?status=FAILED").json()
    assert [t["id"] for t in listed["items"]] == [str(failed.id)] and listed["items"][0]["name"] == "mail_send"
    assert api.post(f"/api/v1/jobs/{failed.id}/retry").status_code == 202
    assert api.post(f"/api/v1/jobs/{waiting.id}/retry").status_code == 409  # only a failed task
    assert api.post("/api/v1/jobs/not-a-task/retry").status_code == 404
    assert api.get("/api/v1/jobs?status=bogus").status_code == 422
    assert login(world.user("dist_head")).get(reverse("jobs:job_list")).status_code == 403
    assert api_as(world.user("executive")).get("/api/v1/jobs").status_code == 403


def test_a_failed_scheduled_run_is_shown_and_retried(world, api_as, settings):
    run = ScheduledRun.objects.create(job="reroute_leads", period_start=timezone.now().replace(microsecond=0),
                                      status="failed", error="OperationalError: the database restarted")
    api = api_as(world.user("program_manager"))
    scheduled = {row["job"]: row for row in api.get("/api/v1/jobs/scheduled").json()}
    assert scheduled["reroute_leads"]["last_run"]["error"].startswith("OperationalError")
    assert scheduled["reroute_leads"]["every_seconds"] == 3600
    retried = api.post(f"/api/v1/jobs/scheduled-runs/{run.pk}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "done"  # no queue in tests: it ran
    assert "re-routed" in ScheduledRun.objects.get(pk=run.pk).output
    assert api.post(f"/api/v1/jobs/scheduled-runs/{run.pk}/retry").status_code == 409


def test_failed_imports_are_listed_with_a_link_to_their_page(world, login):
    from keychannel.sales.models import ImportJob

    job = ImportJob.objects.create(distributor=world.own, file_name="oct.csv", status="failed", error="Worker lost")
    body = login(world.user("admin")).get(reverse("jobs:job_list")).content.decode()
    assert job.get_absolute_url() in body and "Worker lost" in body

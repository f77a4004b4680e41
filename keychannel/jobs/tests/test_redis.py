"""The same background work on the Redis backend (KEYCHANNEL_TASKS_BACKEND=redis, django-tasks-rq), against a real
``redis-server`` (Debian's package; .ci/run installs it) that the fixture starts on 127.0.0.1 and stops."""

import shutil
import socket
import subprocess
import time

import pytest
from django.utils import timezone

from keychannel.jobs.models import ScheduledRun
from keychannel.jobs.tests.conftest import wait_for
from keychannel.sales import imports
from keychannel.sales.tests.factories import map_samples, sample

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert shutil.which(binary), "redis-server is missing: apt-get install redis-server (.ci/run does)"
    port = _free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def on_redis(workers, redis_url, settings):
    """The test process queues on Redis; workers started with ``on_redis.start()`` work the Redis queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.TASKS_BACKEND = "redis"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 600}}
    workers.env.update({"KEYCHANNEL_TASKS_BACKEND": "redis", "KEYCHANNEL_REDIS_URL": redis_url})
    return workers


def test_an_import_on_the_redis_queue_is_applied_by_a_worker(on_redis, world, api_as):
    map_samples(world.own)
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=sample("cp1250"), file_name="oct.csv")
    assert job.status == "queued" and job.task_id
    on_redis.start()
    job = wait_for(lambda: type(job).objects.filter(pk=job.pk, status__in=["done", "failed"]).first(), timeout=180,
                   what="the import")
    assert (job.status, job.report.status, job.report.line_count) == ("done", "applied", 240), on_redis.logs()[-2000:]
    api = api_as(world.user("program_manager"))
    done = wait_for(lambda: api.get("/api/v1/jobs?status=SUCCESSFUL").json()["items"], what="the finished task")
    assert [t["name"] for t in done] == ["import_run"]


def test_a_failed_task_on_redis_is_listed_and_retried(on_redis, world, api_as, settings):
    from keychannel.core.tasks import mail_send

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: the mail server refuses every connection
    port = closed.getsockname()[1]
    try:
        on_redis.start(extra_env={"KEYCHANNEL_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                  "KEYCHANNEL_EMAIL_HOST": "127.0.0.1", "KEYCHANNEL_EMAIL_PORT": str(port)})
        result = mail_send.enqueue("Hello", "Body", ["a@example.com"])
        api = api_as(world.user("admin"))
        failed = wait_for(lambda: api.get("/api/v1/jobs?status=FAILED").json()["items"], timeout=120,
                          what="the failed mail")
        assert [(t["id"], t["name"]) for t in failed] == [(result.id, "mail_send")]
        assert "Connection refused" in failed[0]["error"] or "Error" in failed[0]["error"]
        retried = api.post(f"/api/v1/jobs/{result.id}/retry")
        assert retried.status_code == 202 and retried.json()["task_id"] != result.id
        wait_for(lambda: len(api.get("/api/v1/jobs?status=FAILED").json()["items"]) == 2, timeout=120,
                 what="the retried mail to fail again")
    finally:
        closed.close()


def test_two_redis_workers_run_each_scheduled_job_once_per_period(on_redis):
    every = {"purge_uploads": 2}
    on_redis.start(schedule=every)
    on_redis.start(schedule=every)
    wait_for(lambda: ScheduledRun.objects.filter(status="done").count() >= 4, timeout=180, what="four periods")
    on_redis.stop_all()
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.registry import FinishedJobRegistry

    queue = django_rq.get_queue("default", job_class=Job)
    ids = FinishedJobRegistry(queue=queue).get_job_ids() + list(queue.get_job_ids())
    tasks = [job.args[0] for job in Job.fetch_many(ids, connection=queue.connection) if job]
    # One task per (job, period), none twice: every run has exactly one task, done or still queued.
    assert sorted(tasks) == sorted(ScheduledRun.objects.values_list("pk", flat=True))
    done = sorted(ScheduledRun.objects.filter(status="done").values_list("pk", flat=True))
    finished = Job.fetch_many(FinishedJobRegistry(queue=queue).get_job_ids(), connection=queue.connection)
    assert sorted(job.args[0] for job in finished if job) == done
    starts = list(ScheduledRun.objects.values_list("period_start", flat=True))
    assert len(starts) == len(set(starts)) and all(s <= timezone.now() for s in starts)

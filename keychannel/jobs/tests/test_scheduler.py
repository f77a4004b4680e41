"""Scheduled jobs without cron: each job starts once per period, however many schedulers run."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from keychannel.jobs import scheduler
from keychannel.jobs.models import ScheduledRun
from keychannel.jobs.tests.conftest import wait_for


@pytest.mark.django_db
def test_a_tick_starts_each_due_job_once_per_period(monkeypatch):
    monkeypatch.setenv("KEYCHANNEL_SCHEDULE", ",".join(f"{name}=0" for name in scheduler.JOBS) +
                       ",reroute_leads=3600,purge_uploads=86400")
    now = datetime(2026, 12, 6, 15, 20, tzinfo=UTC)
    first = scheduler.tick(now)
    assert sorted((r.job, r.period_start.hour, r.status) for r in ScheduledRun.objects.all()) == [
        ("purge_uploads", 0, "done"), ("reroute_leads", 15, "done")]
    assert len(first) == 2 and "lead offer(s)" in ScheduledRun.objects.get(job="reroute_leads").output
    assert scheduler.tick(now + timedelta(minutes=30)) == []  # same periods: nothing new
    later = scheduler.tick(now + timedelta(minutes=45))  # 16:05: the hourly job's next period
    assert [(r.job, r.period_start.hour) for r in later] == [("reroute_leads", 16)]


def test_the_schedule_is_configurable_and_refuses_unknown_jobs(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("KEYCHANNEL_SCHEDULE", "reroute_leads=600, purge_uploads=0")
    periods = scheduler.schedule()
    assert periods["reroute_leads"] == 600 and "purge_uploads" not in periods
    monkeypatch.setenv("KEYCHANNEL_SCHEDULE", "rm_rf=60")
    with pytest.raises(ImproperlyConfigured):
        scheduler.schedule()


@pytest.mark.django_db
def test_the_commands_still_run_by_hand():
    from io import StringIO

    out = StringIO()
    call_command("reroute_leads", stdout=out)
    assert "re-routed" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_scheduled_job_once_per_period(workers):
    """Two real worker processes with their schedulers, 2- and 3-second periods: every (job, period) has one run,
    its one task, and both workers ran scheduled tasks."""
    every = {"purge_uploads": 2, "reroute_leads": 3}
    workers.start(schedule=every)
    workers.start(schedule=every)

    def workers_seen():
        tasks = DBTaskResult.objects.filter(task_path="keychannel.jobs.tasks.run_scheduled_job")
        return {worker for t in tasks for worker in t.worker_ids}

    # Which worker claims a task is a race each period: on a busy machine one worker can win five in a row, so the
    # wait runs until both have taken part (bounded); the invariants below are checked on every run made by then.
    wait_for(lambda: ScheduledRun.objects.filter(job="purge_uploads", status="done").count() >= 5
             and len(workers_seen()) == 2, timeout=240, what="five periods of the 2-second job, run by both workers")
    workers.stop_all()
    runs = list(ScheduledRun.objects.order_by("job", "period_start"))
    assert {r.job for r in runs} == set(every)
    for job, seconds in every.items():
        starts = [r.period_start for r in runs if r.job == job]
        assert all(s.timestamp() % seconds == 0 for s in starts)
        assert len(starts) == len(set(starts))
    tasks = DBTaskResult.objects.filter(task_path="keychannel.jobs.tasks.run_scheduled_job")
    # One task per run: no scheduler started a period twice (the unique row decides, not a check-then-insert).
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(r.pk for r in runs)
    assert {r.status for r in runs if r.finished_at} <= {"done"}
    assert len(workers_seen()) == 2, workers.logs()[-2000:]

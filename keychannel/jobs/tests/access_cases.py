"""Access matrix of the jobs app: the program office (admin, program manager) only; everyone else 403."""

from tests.access import Route, anon_api, anon_page, expect

OFFICE = {"admin": None, "program_manager": None}


def _office(ok, **kw):
    return expect(403, admin=ok, program_manager=ok, **kw)


def _failed_task(w, side):
    """A failed task record whose retry runs a scheduled run that does not exist (so it does nothing)."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    return w.once("failed-task", lambda: str(DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}}, task_path="keychannel.jobs.tasks.run_scheduled_job",
        backend_name="default", run_after=timezone.now(), status="FAILED", exception_class_path="builtins.OSError",
        traceback="OSError: boom").id))


def _failed_run(w, side):
    """A failed scheduled run of a command that does not exist: each retry fails again (the same answer each time)."""
    from django.utils import timezone

    from keychannel.jobs.models import ScheduledRun

    return w.once("failed-run", lambda: ScheduledRun.objects.create(
        job="no_such_command", period_start=timezone.now().replace(microsecond=0), status="failed", error="x").pk)


ROUTES = [
    Route(name="jobs:job_list", expect=_office(200, **anon_page())),
    Route(name="jobs:task_retry", method="POST", params=lambda w, s: {"task_id": _failed_task(w, s)},
          expect=_office(302, **anon_page())),
    Route(name="jobs:scheduled_retry", method="POST", params=lambda w, s: {"pk": _failed_run(w, s)},
          expect=_office(302, **anon_page())),
    Route(api="GET /api/v1/jobs", expect=_office(200, **anon_api())),
    Route(api="POST /api/v1/jobs/{task_id}/retry", params=lambda w, s: {"task_id": _failed_task(w, s)},
          expect=_office(202, **anon_api())),
    Route(api="GET /api/v1/jobs/scheduled", expect=_office(200, **anon_api())),
    Route(api="POST /api/v1/jobs/scheduled-runs/{run_id}/retry", params=lambda w, s: {"run_id": _failed_run(w, s)},
          expect=_office(202, **anon_api())),
]

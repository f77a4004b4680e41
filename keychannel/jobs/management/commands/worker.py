"""`keychannel worker`: run the background tasks of the configured backend (KEYCHANNEL_TASKS_BACKEND), with the
housekeeping thread (scheduled jobs, lost jobs queued again) beside it. Start as many as needed, on any machine."""

import os
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from keychannel.jobs.housekeeping import HousekeepingThread


class Command(BaseCommand):
    help = "Run background tasks (and, unless --no-scheduler, the scheduler and the recovery of lost jobs)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between two looks at an empty database queue (default 1).")
        parser.add_argument("--no-scheduler", action="store_true",
                            help="Run tasks only: no scheduled jobs, no recovery (run `keychannel scheduler` then).")
        parser.add_argument("--worker-id", default="", help="A name unique in the pool (default: host, pid, random).")

    def handle(self, *args, interval, no_scheduler, worker_id, **options):
        backend = settings.TASKS_BACKEND
        if backend == "immediate":
            raise CommandError("KEYCHANNEL_TASKS_BACKEND=immediate runs tasks in the request: there is no queue to work.")
        worker_id = worker_id or f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(6)}"
        housekeeping = None
        if not no_scheduler:
            housekeeping = HousekeepingThread()
            housekeeping.start()
        self.stdout.write(f"worker {worker_id} on the {backend} queue" + ("" if housekeeping else " (no scheduler)"))
        try:
            if backend == "database":
                self._run_database(worker_id, interval)
            else:
                self._run_redis(worker_id)
        finally:
            if housekeeping is not None:
                housekeeping.stop()

    def _run_database(self, worker_id, interval):
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(queue_names=["default"], interval=interval, batch=False, backend_name="default",
                        startup_delay=False, max_tasks=None, worker_id=worker_id, excluded_queue_names=[])
        worker.configure_signals()
        worker.run()

    def _run_redis(self, worker_id):
        import django_rq
        from django_tasks_rq.backend import Job
        from rq import SimpleWorker

        # SimpleWorker runs each task in this process (no fork): a forked work horse would share this process's
        # database connections with it.
        worker = django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker, name=worker_id)
        worker.work(with_scheduler=False)

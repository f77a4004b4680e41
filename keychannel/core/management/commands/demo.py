"""`keychannel demo`: migrate, seed the deterministic demo network, print the logins, serve on 127.0.0.1 with one
background worker beside the server (stopped when the server stops)."""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from keychannel.demo.seed import seed_demo


class Command(BaseCommand):
    help = "Set up the database, seed realistic demo data (idempotent) and serve the app."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Seed only; do not start the server.")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true", help="Serve without the background worker.")

    def handle(self, *args, no_serve=False, port=8000, host="127.0.0.1", no_worker=False, **options):
        self.stdout.write("Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Seeding demo data …")
        ctx = seed_demo(password=settings.DEMO_PASSWORD, progress=self.stdout.write)
        self.print_logins(ctx)
        if not no_serve:
            worker = None if no_worker or settings.TASKS_BACKEND == "immediate" else self.start_worker()
            # SIGTERM (a process manager, `kill`) stops the server like Ctrl-C does, so the worker is stopped too.
            signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
            self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/  (Ctrl-C stops)"))
            try:
                call_command("runserver", f"{host}:{port}", use_reloader=False)
            finally:
                if worker is not None:
                    self.stop_worker(worker)

    def start_worker(self):
        """One `keychannel worker` (tasks, scheduled jobs, recovery) in its own process, beside the server."""
        self.stdout.write(f"Starting one background worker ({settings.TASKS_BACKEND} queue) …")
        return subprocess.Popen([sys.executable, "-m", "keychannel.cli", "worker"], stdin=subprocess.DEVNULL)

    def stop_worker(self, worker):
        if worker.poll() is None:
            worker.terminate()  # SIGTERM: the worker finishes the task in hand, then stops
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.stdout.write("Background worker stopped.")

    def print_logins(self, ctx):
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (one password for all):"))
        self.stdout.write(f"  password: {settings.DEMO_PASSWORD}   (set KEYCHANNEL_DEMO_PASSWORD to change it)")
        width = max(len(u) for u, _, _ in ctx.logins)
        shown = 0
        for username, role, organization in ctx.logins:
            # Manufacturer users, then the first two distributors in full; the rest follow the same pattern.
            if "-" in username and not username.startswith(("d01-", "d02-")):
                continue
            self.stdout.write(f"  {username.ljust(width)}  {role:<32} {organization}")
            shown += 1
        hidden = len(ctx.logins) - shown
        if hidden:
            self.stdout.write(f"  … and {hidden} more: <code>-head and <code>-sales for every distributor d01 … d24")
        self.stdout.write("")

"""`keychannel scheduler`: the housekeeping alone (scheduled jobs, lost jobs queued again), for set-ups whose
workers run with --no-scheduler. Several at once are safe: each job starts once per period."""

import signal

from django.core.management.base import BaseCommand

from keychannel.jobs.housekeeping import HousekeepingThread


class Command(BaseCommand):
    help = "Start the scheduled jobs when due and queue again the jobs whose worker was lost."

    def handle(self, *args, **options):
        thread = HousekeepingThread()
        signal.signal(signal.SIGTERM, lambda *_: thread.stop())
        thread.start()
        self.stdout.write("scheduler running (Ctrl-C stops)")
        try:
            while thread.is_alive():
                thread.join(1)
        except KeyboardInterrupt:
            thread.stop()
            thread.join()

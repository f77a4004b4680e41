"""A worker's housekeeping: every few seconds, queue again the jobs that lost their worker (keychannel/jobs/leases.py)
and start the scheduled jobs that are due (keychannel/jobs/scheduler.py). It runs in a thread of every
``keychannel worker`` (or alone: ``keychannel scheduler``); several at once are safe (row locks, unique rows)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

_recoverers: list = []


def register_recovery(function) -> None:
    """``function()`` queues again this app's lost jobs (apps call it in ``ready()``)."""
    if function not in _recoverers:
        _recoverers.append(function)


def run_once() -> None:
    """One round: recovery of lost jobs, then the scheduler. Errors are logged; the next round tries again."""
    from . import scheduler

    for function in list(_recoverers):
        try:
            function()
        except Exception:
            logger.exception("recovery %s failed", getattr(function, "__qualname__", function))
    try:
        scheduler.tick()
    except Exception:
        logger.exception("the scheduler failed")


class HousekeepingThread(threading.Thread):
    def __init__(self, interval: float | None = None):
        super().__init__(name="keychannel-housekeeping", daemon=True)
        self.interval = settings.KEYCHANNEL_HOUSEKEEPING_INTERVAL if interval is None else interval
        self.stopping = threading.Event()

    def run(self):
        try:
            while True:
                run_once()
                connection.close()
                if self.stopping.wait(self.interval):
                    return
        finally:
            connection.close()

    def stop(self):
        self.stopping.set()

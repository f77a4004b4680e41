"""Real worker processes for the tests whose behaviour depends on them (a worker killed, several at once).

``workers`` starts ``keychannel worker`` processes (``python -m keychannel.cli worker``) on the test database:
PostgreSQL's test database as it is; SQLite's in-memory one is first moved to a file the processes can open (as
tests/races does). The tests are transactional, so what the test writes is committed and the workers see it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

from keychannel.jobs.scheduler import JOBS
from tests.file_database import sqlite_in_a_file


def _database_url(settings_dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}/" \
           f"{settings_dict['NAME']}"


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """SQLite: move the in-memory test database to a file for the test's duration (PostgreSQL: nothing to do)."""
    with sqlite_in_a_file(tmp_path, "workers.sqlite3"):
        yield


class Workers:
    def __init__(self, tmp_path, env):
        self.tmp_path, self.env, self.processes = tmp_path, env, []

    def start(self, *, schedule: dict[str, int] | None = None, extra_env: dict | None = None) -> subprocess.Popen:
        """One `keychannel worker`; ``schedule`` sets the periods of the scheduled jobs (the others are off)."""
        env = dict(self.env)
        env["KEYCHANNEL_SCHEDULE"] = ",".join(f"{name}={(schedule or {}).get(name, 0)}" for name in JOBS)
        env.update(extra_env or {})
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115 (closed with the test)
        process = subprocess.Popen([sys.executable, "-m", "keychannel.cli", "worker", "--interval", "0.1"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        process.log_file = log
        self.processes.append(process)
        return process

    def kill(self, process) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join((self.tmp_path / f"worker-{n}.log").read_text(errors="replace")
                         for n in range(len(self.processes)))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.log_file.close()


@pytest.fixture
def workers(file_database, settings, tmp_path):
    """Start real workers on the test database; the test process queues on the same (database) backend."""
    from django.db import connections

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"
    settings.KEYCHANNEL_TASK_LEASE = 3
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({
        "KEYCHANNEL_DATABASE_URL": _database_url(connections["default"].settings_dict),
        "KEYCHANNEL_TASKS_BACKEND": "database",
        "KEYCHANNEL_TASK_LEASE": "3",
        "KEYCHANNEL_TASK_HEARTBEAT": "0.2",
        "KEYCHANNEL_HOUSEKEEPING_INTERVAL": "0.3",
        "KEYCHANNEL_DATA_DIR": str(tmp_path / "data"),
        "KEYCHANNEL_LOG_LEVEL": "INFO",
    })
    pool = Workers(tmp_path, env)
    try:
        yield pool
    finally:
        pool.stop_all()


def wait_for(predicate, *, timeout=90.0, step=0.05, what="the condition"):
    """Poll until ``predicate()`` is true (a bounded wait on a state, never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")

"""Where the suite's CPU goes: an opt-in pytest plugin (docs/testing.md, "Measuring").

    KEYCHANNEL_CPU_LOG=var/cpu.jsonl .venv/bin/pytest -p tests.cpu_profile ...

appends one JSON line per test (its node id and the CPU seconds of its setup, call and teardown in this process,
``time.process_time``) and one per process at the end (collection, the whole process, and the PostgreSQL server
backends' CPU when the server runs on this machine). Under xdist each worker writes its own lines.
``KEYCHANNEL_CPU_SAMPLE=N`` keeps every N-th collected test only (a cheap estimate of a whole lane, per file).
``python -m tests.cpu_profile var/cpu.jsonl`` prints the CPU seconds per file, largest first.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict

import pytest

_LOG = os.environ.get("KEYCHANNEL_CPU_LOG")
_SAMPLE = int(os.environ.get("KEYCHANNEL_CPU_SAMPLE", "1") or 1)
_STARTED = time.process_time()
_spent: dict[str, float] = defaultdict(float)
_collected_at: list[float] = []


def _write(record: dict) -> None:
    if _LOG:
        with open(_LOG, "a") as out:
            out.write(json.dumps(record) + "\n")


def pytest_collection_modifyitems(config, items):
    _collected_at.append(time.process_time())
    if _SAMPLE > 1:
        kept = items[::_SAMPLE]
        config.hook.pytest_deselected(items=[item for item in items if item not in set(kept)])
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    started = time.process_time()
    yield
    _spent[item.nodeid] += time.process_time() - started


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    started = time.process_time()
    yield
    _spent[item.nodeid] += time.process_time() - started


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    started = time.process_time()
    yield
    _write({"test": item.nodeid, "cpu": round(_spent.pop(item.nodeid, 0.0) + time.process_time() - started, 5)})


def _server_cpu() -> float | None:
    """The CPU seconds of this run's PostgreSQL server (scripts/pgtest.py's): its postmaster, the children alive and
    those it reaped. None on SQLite."""
    url = os.environ.get("KEYCHANNEL_DATABASE_URL", "")
    port = url.rsplit(":", 1)[-1].split("/")[0] if url else ""
    if not port.isdigit():
        return None
    stats = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                cmdline = cmd.read().split(b"\0")
        except OSError:
            continue
        stats[int(pid)] = (int(fields[1]), [int(f) for f in fields[11:15]], cmdline)
    master = next((pid for pid, (_ppid, _t, cmdline) in stats.items()
                   if cmdline[0].endswith(b"postgres") and port.encode() in cmdline), None)
    if master is None:
        return None
    total = sum(stats[master][1])
    total += sum(sum(times[:2]) for ppid, times, _c in stats.values() if ppid == master)
    return round(total / os.sysconf("SC_CLK_TCK"), 2)


def pytest_sessionfinish(session):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    record = {"process": worker, "cpu": round(time.process_time() - _STARTED, 2),
              "collection": round((_collected_at[0] if _collected_at else time.process_time()) - _STARTED, 2)}
    if worker in ("main", "gw0"):
        record["postgres_server"] = _server_cpu()
    _write(record)


def summary(path: str) -> None:
    per_file: dict[str, list] = defaultdict(lambda: [0, 0.0])
    processes = []
    for line in open(path):
        record = json.loads(line)
        if "test" in record:
            entry = per_file[record["test"].split("::")[0]]
            entry[0] += 1
            entry[1] += record["cpu"]
        else:
            processes.append(record)
    total = sum(cpu for _n, cpu in per_file.values())
    print(f"{'tests':>6} {'cpu s':>8} {'per test':>9}  file")
    for name, (count, cpu) in sorted(per_file.items(), key=lambda kv: -kv[1][1]):
        print(f"{count:6d} {cpu:8.1f} {cpu / count:9.4f}  {name}")
    print(f"{sum(n for n, _c in per_file.values()):6d} {total:8.1f}            in tests")
    for record in processes:
        print(record)


if __name__ == "__main__":
    summary(sys.argv[1])

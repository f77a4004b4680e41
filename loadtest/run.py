#!/usr/bin/env python3
"""Bounded load test: demo data on a throwaway PostgreSQL, gunicorn on 127.0.0.1, locust headless.

    python loadtest/run.py [--users 20] [--duration 60] [--spawn-rate 10] [--workers 2]

Needs ``KEYCHANNEL_DATABASE_URL`` pointing at PostgreSQL; without it, it re-runs itself under
``scripts/pgtest.py run`` (a throwaway server, removed afterwards). Steps: ``keychannel demo --no-serve``
(migrate + seed), gunicorn with ``--workers N`` on a free port of 127.0.0.1 (DEBUG off, persistent
connections), locust with a fixed number of users for a fixed time (``loadtest/locustfile.py``), then it
prints throughput, p50/p95/p99 and errors per request kind and writes them to
``var/loadtest/<label>.json`` and ``.md``. Exit code 1 when any request failed (5xx, timeout, connection error).
Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"loadtest: {url} did not answer within {timeout:.0f}s")


def app_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "KEYCHANNEL_DATA_DIR": str(data_dir),
        "KEYCHANNEL_DEBUG": "false",
        "KEYCHANNEL_LOG_LEVEL": "WARNING",
        "KEYCHANNEL_CONN_MAX_AGE": env.get("KEYCHANNEL_CONN_MAX_AGE", "60"),
        "KEYCHANNEL_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    })
    # Many simulated users share a few demo logins and one address: the limiter runs, at a height they never reach.
    for name in ("API_RATE_LIMIT", "API_ANON_RATE_LIMIT", "DUPLICATE_CHECK_RATE_LIMIT"):
        env.setdefault(f"KEYCHANNEL_{name}", "100000/m")
    return env


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def read_failures(prefix: Path) -> list[dict]:
    try:
        with open(f"{prefix}_failures.csv", newline="") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        return []


def summarise(rows: list[dict], failures: list[dict], args, statuses: str) -> dict:
    def num(row, key):
        value = row.get(key, "") or "0"
        return float(value) if value != "N/A" else 0.0

    entries = []
    for row in rows:
        entries.append({
            "name": row["Name"] if row["Type"] != "" else "all",
            "method": row["Type"],
            "requests": int(num(row, "Request Count")),
            "failures": int(num(row, "Failure Count")),
            "rps": round(num(row, "Requests/s"), 1),
            "p50_ms": num(row, "50%"),
            "p95_ms": num(row, "95%"),
            "p99_ms": num(row, "99%"),
            "max_ms": round(num(row, "Max Response Time"), 1),
        })
    total = next((e for e in entries if e["name"] == "Aggregated"), entries[-1] if entries else {})
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()}",
        "load_average_before": args.load_before,
        "users": args.users, "duration_s": args.duration, "workers": args.workers,
        "total": total, "requests": [e for e in entries if e["name"] != "Aggregated"],
        "failures": [{"name": f["Name"], "method": f["Method"], "error": f["Error"],
                      "occurrences": int(f["Occurrences"])} for f in failures],
        "status_codes": statuses,
    }


def markdown(summary: dict) -> str:
    total = summary["total"]
    lines = [
        f"Load test, {summary['date']}, {summary['machine']}: {summary['users']} users for "
        f"{summary['duration_s']} s against gunicorn with {summary['workers']} workers on PostgreSQL "
        f"(load average before the run: {summary['load_average_before']}).",
        "",
        f"**{total.get('requests', 0)} requests, {total.get('rps', 0)} req/s, p50 {total.get('p50_ms', 0):.0f} ms, "
        f"p95 {total.get('p95_ms', 0):.0f} ms, p99 {total.get('p99_ms', 0):.0f} ms, "
        f"{total.get('failures', 0)} failed.**  Status codes: {summary['status_codes'] or 'n/a'}",
        "",
        "| request | count | failed | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in sorted(summary["requests"], key=lambda e: -e["requests"]):
        lines.append(f"| {e['name']} | {e['requests']} | {e['failures']} | {e['rps']} | {e['p50_ms']:.0f} | "
                     f"{e['p95_ms']:.0f} | {e['p99_ms']:.0f} | {e['max_ms']:.0f} |")
    if summary["failures"]:
        lines += ["", "Failures:", ""]
        lines += [f"- {f['method']} {f['name']}: {f['error']} × {f['occurrences']}" for f in summary["failures"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (after spawning starts)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--label", default=None, help="name of the result files (default load-<users>u-<duration>s)")
    parser.add_argument("--out", default=str(ROOT / "var" / "loadtest"))
    args = parser.parse_args(argv)

    url = os.environ.get("KEYCHANNEL_DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("loadtest: no PostgreSQL in KEYCHANNEL_DATABASE_URL, starting a throwaway one", flush=True)
        return subprocess.call([PY, str(ROOT / "scripts" / "pgtest.py"), "run", "--", PY, __file__,
                                *(argv if argv is not None else sys.argv[1:])])

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    label = args.label or f"load-{args.users}u-{args.duration}s"
    data_dir = Path(tempfile.mkdtemp(prefix="keychannel-load-"))
    env = app_env(data_dir)

    print("loadtest: migrating and seeding the demo network …", flush=True)
    seeded = subprocess.run([PY, str(ROOT / "manage.py"), "demo", "--no-serve"], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    if seeded.returncode != 0:
        print(seeded.stdout[-3000:], seeded.stderr[-3000:], file=sys.stderr)
        return 2

    args.load_before = [round(x, 1) for x in os.getloadavg()]
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    error_log = data_dir / "gunicorn-errors.log"
    gunicorn = subprocess.Popen(
        [PY, "-m", "gunicorn", "keychannel.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "60", "--error-logfile", str(error_log),
         "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )
    try:
        wait_for(f"{host}/login/")
        print(f"loadtest: gunicorn ({args.workers} workers) on {host}; {args.users} users for {args.duration}s",
              flush=True)
        prefix = out / label
        locust = subprocess.run(
            [PY, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s", "--host", host,
             "--csv", str(prefix), "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=args.duration + 120,
        )
        statuses = next((line.split(":", 1)[1].strip() for line in locust.stdout.splitlines()
                         if line.startswith("status codes:")), "")
        if not Path(f"{prefix}_stats.csv").exists():
            print(locust.stdout[-3000:], locust.stderr[-3000:], file=sys.stderr)
            return 2
        summary = summarise(read_stats(prefix), read_failures(prefix), args, statuses)
    finally:
        try:
            os.killpg(gunicorn.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            gunicorn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
            gunicorn.wait()
    errors = error_log.read_text(errors="replace") if error_log.exists() else ""
    shutil.rmtree(data_dir, ignore_errors=True)
    summary["server_errors_logged"] = errors.count("Traceback") + errors.count("Internal Server Error")
    (out / f"{label}.json").write_text(json.dumps(summary, indent=2) + "\n")
    text = markdown(summary)
    (out / f"{label}.md").write_text(text)
    print(text)
    if errors.strip():
        print(f"loadtest: server error log ({error_log}):\n{errors[-4000:]}", file=sys.stderr)
    print(f"loadtest: results in {out / label}.json / .md", flush=True)
    return 1 if summary["total"].get("failures", 0) or summary["server_errors_logged"] else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Bounded load test: demo data on a throwaway PostgreSQL, gunicorn on 127.0.0.1, locust headless.

    python loadtest/run.py [--users 20] [--duration 60] [--spawn-rate 10] [--workers 2] [--no-think] [--profile]

Needs ``KEYCHANNEL_DATABASE_URL`` pointing at PostgreSQL; without it, it re-runs itself under
``scripts/pgtest.py run`` (a throwaway server, removed afterwards). Steps: ``keychannel demo --no-serve``
(migrate + seed), gunicorn with ``--workers N`` on a free port of 127.0.0.1 (DEBUG off, persistent
connections), locust with a fixed number of users for a fixed time (``loadtest/locustfile.py``), then it
prints throughput, p50/p95/p99 and errors per request kind and writes them to
``var/loadtest/<label>.json`` and ``.md``. Exit code 1 when any request failed (5xx, timeout, connection error).
Only 127.0.0.1 is ever targeted.

Each demo login of the mix is signed in once before the load (``--logins`` distributors' salespeople and heads,
the channel manager, the programme manager; tokens and sessions), and the simulated users reuse them as real
users keep theirs: the load measures the work of the mix, not a PBKDF2 sign-in per simulated user.

``--no-think`` measures the server's ceiling: no wait between tasks, and the same mix twice in one run on the same
number of workers — against keychannel, then with every request sent to the plain Django view of the benchmarks
(``/bench/plain/``, mounted by ``KEYCHANNEL_BENCH_VIEWS``) — printing both throughputs, their ratio and the
workers' CPU per request (user + system time of the gunicorn workers from /proc, divided by the requests).
``--profile`` adds a last run of the keychannel mix with the workers under cProfile (``loadtest/gunicorn_profile.py``,
a gunicorn started for it; CPU time, not waiting) and prints the functions that took the most time (its own
figures, inflated by cProfile, are not reported).
"""

from __future__ import annotations

import argparse
import contextlib
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
import urllib.error
import urllib.parse
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


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes (fields 14 and 15 of /proc/<pid>/stat, in clock ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def sign_in_all(host: str, logins: int, workers: int) -> dict:
    """Sign every login of the mix in once: a bearer token for the API users, a session for the page users."""
    import http.cookiejar
    import re
    from concurrent.futures import ThreadPoolExecutor

    password = os.environ.get("KEYCHANNEL_DEMO_PASSWORD", "keychannel-demo")
    heads = [f"d{i:02d}-head" for i in range(1, logins + 1)]
    wanted = ([("token", f"d{i:02d}-sales") for i in range(1, logins + 1)] + [("token", h) for h in heads]
              + [("token", "channel"), ("session", "channel"), ("session", "program")]
              + [("session", h) for h in heads])

    def token(username):
        body = json.dumps({"username": username, "password": password, "name": "load"}).encode()
        request = urllib.request.Request(f"{host}/api/v1/auth/token", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return {"token": json.load(response)["token"]}

    def session(username):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{host}/login/", timeout=60).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf})
        opener.open(urllib.request.Request(f"{host}/login/", data=form.encode(), method="POST",
                                           headers={"Referer": f"{host}/login/"}), timeout=120).read()
        cookies = {c.name: c.value for c in jar}
        if not cookies.get("sessionid"):
            raise SystemExit(f"loadtest: the sign-in of {username} failed")
        return {"sessionid": cookies["sessionid"], "csrftoken": cookies.get("csrftoken", "")}

    def one(item):
        kind, username = item
        return f"{kind}:{username}", (token if kind == "token" else session)(username)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        credentials = dict(pool.map(one, wanted))
    # The API's operations, read once here: building the OpenAPI document costs seconds of a worker's CPU, which
    # each locust process would otherwise pay inside the measured run.
    with urllib.request.urlopen(f"{host}/api/v1/openapi.json", timeout=300) as response:
        paths = json.load(response)["paths"]
    credentials["operations"] = sorted(f"{method.upper()} {path}" for path, ops in paths.items() for method in ops)
    return credentials


def warm_up(host: str, workers: int) -> None:
    """A few requests, so every worker has imported its URLs and views before anything is measured."""
    for _ in range(4 * workers):
        for path in ("/login/", "/api/v1/me"):
            try:
                urllib.request.urlopen(f"{host}{path}", timeout=120).read()
            except urllib.error.HTTPError:
                pass


def profile_top(profile_dir: Path, limit: int = 30) -> str:
    """The merged cProfile of the workers: the functions with the most time of their own, and keychannel's
    functions (views, selectors, schemas) by time including what they called."""
    import io
    import pstats

    files = sorted(str(p) for p in profile_dir.glob("worker-*.prof"))
    if not files:
        return "(no worker profile was written)\n"
    stats = pstats.Stats(*files, stream=(buffer := io.StringIO()))
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(r"keychannel/(?!wsgi)", limit)
    return buffer.getvalue()


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


@contextlib.contextmanager
def serve(env: dict, args, data_dir: Path, profile_dir: Path | None = None):
    """gunicorn on a free port of 127.0.0.1; yields (base URL, master pid); stopped gracefully on the way out
    (so profiled workers write their profiles)."""
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    error_log = data_dir / "gunicorn-errors.log"
    extra = ["-c", str(ROOT / "loadtest" / "gunicorn_profile.py")] if profile_dir else []
    env = dict(env, KEYCHANNEL_PROFILE_DIR=str(profile_dir)) if profile_dir else env
    gunicorn = subprocess.Popen(
        [PY, "-m", "gunicorn", "keychannel.wsgi:application", *extra, "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "60", "--error-logfile", str(error_log),
         "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )
    try:
        wait_for(f"{host}/login/")
        yield host, gunicorn.pid
    finally:
        try:
            os.killpg(gunicorn.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
            gunicorn.wait()


def run_phase(name: str, host: str, master: int, env: dict, args, prefix: Path, *, plain: bool) -> dict:
    """One locust run of the mix (against the plain view with ``plain``); its summary with the workers' CPU."""
    env = dict(env, KEYCHANNEL_LOAD_NO_THINK="1" if args.no_think else "", KEYCHANNEL_LOAD_PLAIN="1" if plain else "")
    print(f"loadtest: {name}: {args.users} users for {args.duration}s"
          f"{' without think time' if args.no_think else ''}", flush=True)
    pids = worker_pids(master)
    cpu_before = cpu_seconds(pids)
    locust = subprocess.run(
        [PY, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
         "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s", "--host", host,
         "--csv", str(prefix), "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=args.duration + 120,
    )
    cpu = cpu_seconds(pids) - cpu_before
    statuses = next((line.split(":", 1)[1].strip() for line in locust.stdout.splitlines()
                     if line.startswith("status codes:")), "")
    if not Path(f"{prefix}_stats.csv").exists():
        print(locust.stdout[-3000:], locust.stderr[-3000:], file=sys.stderr)
        raise SystemExit(2)
    summary = summarise(read_stats(prefix), read_failures(prefix), args, statuses)
    requests = summary["total"].get("requests", 0)
    summary.update(name=name, worker_cpu_s=round(cpu, 2),
                   cpu_ms_per_request=round(cpu * 1000 / requests, 2) if requests else None)
    return summary


def ceiling_markdown(kc: dict, plain: dict) -> str:
    ratio = kc["total"].get("rps", 0) / plain["total"]["rps"] if plain["total"].get("rps") else 0.0
    return (
        f"**Ceiling (no think time, {kc['users']} users, {kc['workers']} workers, {kc['duration_s']} s each): "
        f"keychannel {kc['total'].get('rps', 0)} req/s, the same mix against the plain view "
        f"{plain['total'].get('rps', 0)} req/s: ratio {ratio:.3f}.** Worker CPU per request: keychannel "
        f"{kc['cpu_ms_per_request']} ms, plain {plain['cpu_ms_per_request']} ms "
        f"({kc['worker_cpu_s']} s and {plain['worker_cpu_s']} s of worker CPU).\n"
    ), round(ratio, 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (after spawning starts)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--logins", type=int, default=6,
                        help="distributors whose salesperson and head sign in (once each) for the mix (default 6)")
    parser.add_argument("--no-think", action="store_true",
                        help="no wait between tasks (the ceiling), and the same mix against the plain view after")
    parser.add_argument("--profile", action="store_true",
                        help="one more keychannel run with cProfile in the workers; prints the top functions")
    parser.add_argument("--no-seed", action="store_true",
                        help="use the database as it is: it already holds the demo (a kept cluster, "
                             "scripts/pgtest.py run --keep DIR -- … loadtest/run.py --no-seed)")
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
    label = args.label or (f"load-{args.users}u-{args.duration}s" + ("-nothink" if args.no_think else "")
                           + ("-profile" if args.profile else ""))
    data_dir = Path(tempfile.mkdtemp(prefix="keychannel-load-"))
    env = app_env(data_dir)
    env["KEYCHANNEL_BENCH_VIEWS"] = "true"  # the plain view of the --no-think comparison (a throwaway server)

    step = ["migrate", "--no-input", "-v", "0"] if args.no_seed else ["demo", "--no-serve"]
    print("loadtest: " + ("migrating" if args.no_seed else "migrating and seeding the demo network") + " …", flush=True)
    seeded = subprocess.run([PY, str(ROOT / "manage.py"), *step], env=env, cwd=ROOT, capture_output=True, text=True)
    if seeded.returncode != 0:
        print(seeded.stdout[-3000:], seeded.stderr[-3000:], file=sys.stderr)
        return 2

    args.load_before = [round(x, 1) for x in os.getloadavg()]
    profile_dir = data_dir / "profile" if args.profile else None
    phases = []
    with serve(env, args, data_dir) as (host, master):
        print(f"loadtest: gunicorn ({args.workers} workers) on {host}; signing in each login once …", flush=True)
        credentials = data_dir / "credentials.json"
        credentials.write_text(json.dumps(sign_in_all(host, args.logins, args.workers)))
        env["KEYCHANNEL_LOAD_CREDENTIALS"] = str(credentials)
        warm_up(host, args.workers)
        phases.append(run_phase("keychannel", host, master, env, args, out / label, plain=False))
        if args.no_think:
            phases.append(run_phase("plain view", host, master, env, args, out / f"{label}-plain", plain=True))
    if args.profile:
        profile_dir.mkdir()
        with serve(env, args, data_dir, profile_dir) as (host, master):
            warm_up(host, args.workers)
            run_phase("keychannel, profiled", host, master, env, args, out / f"{label}-profiled", plain=False)
    error_log = data_dir / "gunicorn-errors.log"
    errors = error_log.read_text(errors="replace") if error_log.exists() else ""
    profile = profile_top(profile_dir) if profile_dir else ""
    shutil.rmtree(data_dir, ignore_errors=True)

    summary = dict(phases[0])
    summary["server_errors_logged"] = errors.count("Traceback") + errors.count("Internal Server Error")
    text = markdown(summary) + f"\nWorker CPU per request: {summary['cpu_ms_per_request']} ms.\n"
    if args.no_think:
        summary["plain"] = phases[1]
        ceiling, summary["ratio_to_plain"] = ceiling_markdown(phases[0], phases[1])
        text += "\n" + ceiling + "\nThe plain run:\n\n" + markdown(phases[1])
    if profile:
        (out / f"{label}-profile.txt").write_text(profile)
        text += f"\nProfile (cProfile, merged over the workers) in {out / label}-profile.txt; the top:\n\n"
        text += "```\n" + "\n".join(profile.splitlines()[:60]) + "\n```\n"
    (out / f"{label}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / f"{label}.md").write_text(text)
    print(text)
    if errors.strip():
        print(f"loadtest: server error log ({error_log}):\n{errors[-4000:]}", file=sys.stderr)
    print(f"loadtest: results in {out / label}.json / .md", flush=True)
    failed = sum(p["total"].get("failures", 0) for p in phases)
    return 1 if failed or summary["server_errors_logged"] else 0


if __name__ == "__main__":
    sys.exit(main())

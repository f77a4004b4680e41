#!/usr/bin/env python3
"""API and page benchmark on the issue-10 data set: every figure a ratio to a bare endpoint, in one run.

    python bench/bench_api.py [--scale 1.0] [--requests 100] [--warmup 5] [--workers 2]

On PostgreSQL only (``KEYCHANNEL_DATABASE_URL``; without it the script re-runs itself under
``scripts/pgtest.py run --keep var/bench/pgdata``, the persistent benchmark cluster). Steps:

1. ``keychannel demo --no-serve`` on an empty database (migrate, the demo network, its users); on a database
   that already holds the bench data set only ``migrate``;
2. ``dataset.ensure(scale)`` (bench/dataset.py): grows the data to ``--scale`` × 2,000 distributors, 200,000
   clients, 1,000,000 stakeholders, 300,000 opportunities, 10,000,000 sales lines with set-based SQL, or
   reuses it when this database already holds that scale;
3. gunicorn with ``--workers N`` on 127.0.0.1, DEBUG off;
4. bearer tokens for the admin (whole network) and a distributor head (``d01-head``, one distributor), and a
   session cookie for each from the login form (with its CSRF token) for the HTML pages;
5. ``--warmup`` rounds, then ``--requests`` rounds over every endpoint, interleaved round-robin (one request
   per endpoint per round) so that every endpoint sees the same machine; median, p95 and the ratio of medians
   to the bare ``GET /api/v1/me`` of the same run (token lookup, principal, JSON: the floor of every call), and
   ``/me`` against a plain Django view on the same server (``/bench/plain/``: the token's user in one ORM query,
   as JSON; mounted because this script sets ``KEYCHANNEL_BENCH_VIEWS``, absent from normal deployments);
6. the resident memory (RSS) of every gunicorn worker after the run.

Exits 1 if any response was a 5xx (or the connection failed). Results go to stdout and
``var/bench/bench_api.json``/``.md`` (machine, CPU count, load average, date, commit, data-set rows, the table).
Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import argparse
import datetime
import http.cookiejar
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PY = sys.executable
KEEP = ROOT / "var" / "bench" / "pgdata"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# ---- HTTP -------------------------------------------------------------------------------------------------


class Client:
    """A bearer token or a session (cookie jar), one urllib opener."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, method: str, path: str, body: dict | None = None, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, float, bytes]:
        headers = dict(headers or {})
        data = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as response:
                content, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            content, status = exc.read(), exc.code
        except OSError:
            content, status = b"", 599
        return status, (time.perf_counter() - start) * 1000, content

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def login(self, username: str, password: str) -> None:
        status, _ms, page = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise SystemExit(f"bench: no login form ({status})")
        status, _ms, _page = self.request(
            "POST", "/login/", form={"username": username, "password": password,
                                     "csrfmiddlewaretoken": match.group(1).decode(), "next": "/"},
            headers={"Referer": self.base + "/login/"})
        if status not in (301, 302) or not self.cookie("sessionid"):
            raise SystemExit(f"bench: sign-in of {username} failed ({status})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


# ---- what to measure -------------------------------------------------------------------------------------


PLAIN = "GET /bench/plain/ (plain Django view)"


def _middle(qs):
    n = qs.count()
    return qs.order_by("pk")[n // 2] if n else None


def plan(head_username: str) -> list[tuple[str, str, str, str, dict | None]]:
    """(label, who, method, path, json body): who is admin/head (token) or admin-page/head-page (session)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    Distributor = apps.get_model("network", "Distributor")
    Client_ = apps.get_model("clients", "CorporateClient")
    Opportunity = apps.get_model("deals", "Opportunity")
    head = get_user_model().objects.get(username=head_username)
    own = Distributor.objects.get(organization_id=head.membership.organization_id)
    dist = _middle(Distributor.objects.all())
    bench_clients = Client_.objects.filter(code__startswith="BX", distributor__isnull=False)
    client = _middle(bench_clients) or _middle(Client_.objects.all())
    own_client = (_middle(bench_clients.filter(distributor=own))
                  or _middle(Client_.objects.filter(distributor=own)))
    opp = _middle(Opportunity.objects.all())
    own_opp = _middle(Opportunity.objects.filter(distributor=own))
    n_clients = Client_.objects.count()
    stem = client.normalized_name.split()[0]
    # A near-duplicate of an existing client: one letter of the distinctive word changed, another legal form.
    words = client.legal_name.split()
    second = words[-2]
    typo = second[:2] + ("e" if second[2] != "e" else "a") + second[3:]
    near = " ".join([*words[:-2], typo, "S.R.L."])

    rows = [
        ("GET /me (bare)", "admin", "GET", "/api/v1/me", None),
        (PLAIN, "admin", "GET", "/bench/plain/", None),
        ("GET /distributors?limit=50", "admin", "GET", "/api/v1/distributors?limit=50", None),
        ("GET /distributors/{id}", "admin", "GET", f"/api/v1/distributors/{dist.pk}", None),
        ("GET /clients?limit=50", "admin", "GET", "/api/v1/clients?limit=50", None),
        (f"GET /clients?search={stem}", "admin", "GET", f"/api/v1/clients?search={stem}&limit=50", None),
        ("GET /clients?offset=deep", "admin", "GET", f"/api/v1/clients?limit=50&offset={max(0, n_clients - 100)}",
         None),
        ("GET /clients/{id}", "admin", "GET", f"/api/v1/clients/{client.pk}", None),
        ("GET /clients/{id}/stakeholders", "admin", "GET", f"/api/v1/clients/{client.pk}/stakeholders", None),
        ("POST /clients/duplicate-check", "admin", "POST", "/api/v1/clients/duplicate-check",
         {"legal_name": near, "tax_id": ""}),
        ("GET /opportunities?limit=50", "admin", "GET", "/api/v1/opportunities?limit=50", None),
        ("GET /opportunities?open", "admin", "GET", "/api/v1/opportunities?open=true&limit=50", None),
        ("GET /opportunities/{id}", "admin", "GET", f"/api/v1/opportunities/{opp.pk}", None),
        ("GET /forecast?by=distributor", "admin", "GET", "/api/v1/forecast?by=distributor", None),
        ("GET /registrations?limit=50", "admin", "GET", "/api/v1/registrations?limit=50", None),
        ("GET /sales-reports?limit=50", "admin", "GET", "/api/v1/sales-reports?limit=50", None),
        ("GET /sales-lines?limit=50", "admin", "GET", "/api/v1/sales-lines?limit=50", None),
        ("GET /segments?limit=50", "admin", "GET", "/api/v1/segments?limit=50", None),
        ("head: GET /clients?limit=50", "head", "GET", "/api/v1/clients?limit=50", None),
        ("head: GET /opportunities?open", "head", "GET", "/api/v1/opportunities?open=true&limit=50", None),
        ("head: GET /sales-lines?limit=50", "head", "GET", "/api/v1/sales-lines?limit=50", None),
        ("head: POST /clients/duplicate-check", "head", "POST", "/api/v1/clients/duplicate-check",
         {"legal_name": near, "tax_id": ""}),
    ]
    for who, d, c, o in (("admin", dist, client, opp), ("head", own, own_client, own_opp)):
        page = f"{who}-page"
        rows += [
            (f"{who}: page /", page, "GET", "/", None),
            (f"{who}: page distributors", page, "GET", "/network/distributors/", None),
            (f"{who}: page distributor detail", page, "GET", f"/network/distributors/{d.pk}/", None),
            (f"{who}: page clients", page, "GET", "/clients/", None),
            (f"{who}: page client (buying centre)", page, "GET", f"/clients/{c.pk}/", None),
            (f"{who}: page opportunities", page, "GET", "/deals/", None),
            (f"{who}: page pipeline (kanban)", page, "GET", "/deals/pipeline/", None),
            (f"{who}: page segments", page, "GET", "/sales/segments/", None),
        ]
        if o is not None:
            rows.append((f"{who}: page opportunity detail", page, "GET", f"/deals/{o.pk}/", None))
    return rows


# ---- main ------------------------------------------------------------------------------------------------


def _has_dataset() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
        if not cur.fetchone()[0]:
            return False
        cur.execute("SELECT count(*) FROM bench_dataset")
        return cur.fetchone()[0] > 0


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "keychannel", "bench"],
                           cwd=ROOT, capture_output=True, text=True).stdout.split()
    changed = sorted({p for p in dirty if "/" in p})
    return (out.stdout.strip() or "?") + (f" + uncommitted {', '.join(changed)}" if changed else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of issue 10's data set (1.0 = 2,000 distributors, 200k clients, 1M "
                             "stakeholders, 300k opportunities, 10M sales lines); default 1.0")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per endpoint (default 100)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up rounds (default 5)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-segments", action="store_true",
                        help="do not compute the client segments when the bench clients have none (by default "
                             "services.segments_refresh runs once over 2024-2025, timed, and is kept)")
    parser.add_argument("--head", default="d01-head", help="the distributor head whose pages are measured")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args(argv)

    if not os.environ.get("KEYCHANNEL_DATABASE_URL", "").startswith("postgres"):
        print(f"bench: no PostgreSQL in KEYCHANNEL_DATABASE_URL, using the kept cluster {KEEP}", flush=True)
        return subprocess.call([PY, str(ROOT / "scripts" / "pgtest.py"), "run", "--keep", str(KEEP), "--", PY,
                                __file__, *(argv if argv is not None else sys.argv[1:])])
    data_dir = Path(tempfile.mkdtemp(prefix="keychannel-bench-"))
    os.environ.update({"KEYCHANNEL_DATA_DIR": str(data_dir), "KEYCHANNEL_DEBUG": "false",
                       "KEYCHANNEL_LOG_LEVEL": "WARNING",
                       "KEYCHANNEL_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                       # one token makes every request: the limiter runs, at a height the bench never reaches
                       "KEYCHANNEL_API_RATE_LIMIT": "10000000/m",
                       "KEYCHANNEL_BENCH_VIEWS": "true"})  # the plain view /me is measured against
    started = time.monotonic()
    commit = _commit()  # the code gunicorn will serve: read now, other commits may land during the run
    _django()
    import dataset
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connections

    from keychannel.core import services
    from keychannel.core.scoping import Principal

    seeded = _has_dataset()
    connections.close_all()
    step = ["migrate", "--no-input", "-v", "0"] if seeded else ["demo", "--no-serve"]
    print(f"bench: {' '.join(step[:1])} …", flush=True)
    t0 = time.monotonic()
    done = subprocess.run([PY, str(ROOT / "manage.py"), *step], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        return 2
    seed_s = time.monotonic() - t0
    try:
        info = dataset.ensure(args.scale, progress=lambda m: print(m, flush=True))
    except dataset.DatasetError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    counts = {k: v for k, v in info["counts"].items() if k != "scale"}
    User = get_user_model()
    admin = User.objects.get(username="admin")
    head = User.objects.get(username=args.head)
    _t, admin_token = services.api_token_create(principal=Principal.for_user(admin), name="bench")
    _t, head_token = services.api_token_create(principal=Principal.for_user(head), name="bench")
    from django.apps import apps

    Segment = apps.get_model("sales", "ClientSegment")
    segment_refresh = None
    if not args.no_segments and not Segment.objects.filter(client__code__startswith="BX").exists():
        from django.db import transaction

        from keychannel.sales import services as sales_services

        print("bench: computing the client segments of 2024-2025 (services.segments_refresh) …", flush=True)
        t0 = time.monotonic()
        ids = list(apps.get_model("network", "Distributor").objects.values_list("pk", flat=True))
        with transaction.atomic():
            written = sales_services.segments_refresh(distributor_ids=ids, years=[2024, 2025])
        segment_refresh = {"seconds": round(time.monotonic() - t0, 1), "written": written}
        print(f"bench: segments: {written} written in {segment_refresh['seconds']} s", flush=True)
    segments = Segment.objects.count()
    chosen = plan(args.head)
    connections.close_all()

    load_before = [round(x, 2) for x in os.getloadavg()]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [PY, "-m", "gunicorn", "keychannel.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, start_new_session=True,
    )
    clients = {"admin": Client(base, admin_token), "head": Client(base, head_token),
               "admin-page": Client(base), "head-page": Client(base)}
    results = {}
    try:
        deadline = time.monotonic() + 90
        while clients["admin"].request("GET", "/api/v1/me")[0] != 200:
            if time.monotonic() > deadline or gunicorn.poll() is not None:
                raise SystemExit("bench: gunicorn did not start")
            time.sleep(0.3)
        clients["admin-page"].login("admin", settings.DEMO_PASSWORD)
        clients["head-page"].login(args.head, settings.DEMO_PASSWORD)
        print(f"bench: {len(chosen)} endpoints × ({args.warmup} warm-up + {args.requests}) requests, "
              f"load average {load_before}", flush=True)
        for _ in range(args.warmup):
            for _label, who, method, path, body in chosen:
                clients[who].request(method, path, body=body)
        load_start = [round(x, 2) for x in os.getloadavg()]
        timings = {label: [] for label, *_ in chosen}
        statuses = {label: set() for label, *_ in chosen}
        sizes = {label: 0 for label, *_ in chosen}
        t_measure = time.monotonic()
        for i in range(args.requests):
            for label, who, method, path, body in chosen:
                status, ms, content = clients[who].request(method, path, body=body)
                timings[label].append(ms)
                statuses[label].add(status)
                sizes[label] = len(content)
            if (i + 1) % max(1, args.requests // 10) == 0:
                print(f"bench: round {i + 1}/{args.requests} ({time.monotonic() - t_measure:.0f}s)", flush=True)
        rss = [round(rss_mb(pid), 1) for pid in worker_pids(gunicorn.pid)]
        master_rss = round(rss_mb(gunicorn.pid), 1)
    finally:
        try:
            os.killpg(gunicorn.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        gunicorn.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    load_after = [round(x, 2) for x in os.getloadavg()]

    bare = statistics.median(timings[chosen[0][0]])
    for label, who, method, path, _body in chosen:
        values = sorted(timings[label])
        median = statistics.median(values)
        results[label] = {"who": who, "method": method, "path": path, "median_ms": round(median, 2),
                          "p95_ms": round(values[min(len(values) - 1, math.ceil(len(values) * 0.95) - 1)], 2),
                          "ratio": round(median / bare, 1), "statuses": sorted(statuses[label]),
                          "bytes": sizes[label]}
    summary = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "machine": f"{platform.node()} · {os.cpu_count()} CPUs · {platform.machine()} · "
                   f"Python {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before, "load_average_after_warmup": load_start,
        "load_average_after": load_after,
        "scale": args.scale, "rows": counts, "segments": segments, "segment_refresh": segment_refresh,
        "dataset_built_now": info["built"],
        "dataset_build_s": info["seconds"], "dataset_timings": info.get("timings", {}), "seed_s": round(seed_s),
        "requests_per_endpoint": args.requests, "warmup_rounds": args.warmup, "workers": args.workers,
        "distributor_head": args.head,
        "worker_rss_mb": rss, "master_rss_mb": master_rss, "endpoints": results,
        "me_to_plain": round(bare / results[PLAIN]["median_ms"], 2) if results[PLAIN]["median_ms"] else None,
        "total_s": round(time.monotonic() - started),
    }
    text = render(summary)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_api.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "bench_api.md").write_text(text)
    print(text)
    print(f"bench: results in {out}/bench_api.json / .md ({summary['total_s']} s in all)")
    bad = [label for label, r in results.items() if any(s >= 500 for s in r["statuses"])]
    if bad:
        print(f"bench: server errors (or failed connections) on {bad}", file=sys.stderr)
        return 1
    return 0


def render(s: dict) -> str:
    rows = s["rows"]
    built = (f"built in {s['dataset_build_s']:.0f} s" + ("" if s["dataset_built_now"] else " (reused)"))
    lines = [
        f"API and page benchmark, {s['date']}, commit `{s['commit']}`.",
        "",
        f"Machine: {s['machine']}; gunicorn {s['workers']} sync workers, PostgreSQL 15 (scripts/pgtest.py), DEBUG "
        f"off. Load average (1/5/15 min) before: {s['load_average_before']}, after warm-up: "
        f"{s['load_average_after_warmup']}, after: {s['load_average_after']}.",
        "",
        f"Data set (scale {s['scale']:g}, {built}): " + ", ".join(f"{v:,} {k.replace('_', ' ')}"
                                                                for k, v in rows.items())
        + f"; {s['segments']:,} client segments"
        + (f" (computed in this run by services.segments_refresh: {s['segment_refresh']['seconds']:.0f} s)"
           if s.get("segment_refresh") else "") + ".",
        "",
        f"{s['requests_per_endpoint']} requests per endpoint after {s['warmup_rounds']} warm-up rounds, interleaved "
        f"round-robin, one at a time; API calls with a bearer token, pages with a session cookie from the login "
        f"form; `admin` = the admin (whole network), `head` = {s['distributor_head']} (one distributor). "
        "× bare = median / median of `GET /api/v1/me` in the same run.",
        "",
        "| endpoint | median ms | p95 ms | × bare | status | bytes |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for label, r in s["endpoints"].items():
        lines.append(f"| {label} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['ratio']} | "
                     f"{','.join(map(str, r['statuses']))} | {r['bytes']:,} |")
    if s.get("me_to_plain") is not None:
        lines += ["", f"Bare `GET /api/v1/me` ÷ the plain Django view on the same server (`{PLAIN}`): "
                      f"**{s['me_to_plain']}×** (issue 22 target: ≤ 2×)."]
    lines += ["", f"Memory: gunicorn workers {', '.join(f'{m} MB' for m in s['worker_rss_mb'])} RSS after the run "
                  f"(master {s['master_rss_mb']} MB).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

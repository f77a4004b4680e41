#!/usr/bin/env python3
"""Global search benchmark on the issue-10 data set: search p95 against the bare ``GET /api/v1/me``, in one run.

    python bench/bench_search.py [--scale 1.0] [--requests 60] [--warmup 5] [--workers 2]

On PostgreSQL only, like bench_api.py (whose server, clients and data-set steps it reuses): the demo network,
``dataset.ensure(scale)`` (200,000 clients, 1,000,000 stakeholders, 300,000 opportunities at scale 1), gunicorn
on 127.0.0.1, then rounds over the bare ``/me`` and the search (API and page; the admin, whole network, and a
distributor head, one distributor), interleaved round-robin so that every endpoint sees the same machine.
Queries: a bench client's name typed without its legal form and with a typo, a common stem, a stakeholder's
name, a deal word, a word that matches nothing. The figure of the issue: each search's p95 / the bare p95
(target ≤ 3 at scale 1). Results to stdout and ``var/bench/bench_search.json``/``.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PY = sys.executable
KEEP = ROOT / "var" / "bench" / "pgdata"
TARGET = 3.0
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from bench_api import Client, _commit, _django, _has_dataset, free_port  # noqa: E402


def _typo(word: str) -> str:
    """Two neighbouring letters swapped in the middle of the word: "Carpatica" → "Carptaica"."""
    i = max(1, len(word) // 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:] if len(word) > 3 else word


def plan(head_username: str) -> list[tuple[str, str, str]]:
    """(label, who, path): who is admin/head (token) or admin-page/head-page (session)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    Distributor = apps.get_model("network", "Distributor")
    Client_ = apps.get_model("clients", "CorporateClient")
    Stakeholder = apps.get_model("clients", "Stakeholder")
    Opportunity = apps.get_model("deals", "Opportunity")
    head = get_user_model().objects.get(username=head_username)
    own = Distributor.objects.get(organization_id=head.membership.organization_id)

    def middle(qs):
        n = qs.count()
        return qs.order_by("pk")[n // 2] if n else None

    bench = Client_.objects.filter(code__startswith="BX", distributor__isnull=False)
    client = middle(bench) or middle(Client_.objects.all())
    own_client = middle(bench.filter(distributor=own)) or middle(Client_.objects.filter(distributor=own))
    person = middle(Stakeholder.objects.filter(client=client)) or middle(Stakeholder.objects.all())
    deal = middle(Opportunity.objects.all())

    def typed(name: str) -> str:
        words = client_words(name)
        return " ".join([_typo(words[0]), *words[1:]])

    def client_words(name: str) -> list[str]:
        return [w for w in name.split() if w.upper() not in {"SRL", "SA", "SCS", "SNC"}]

    queries = {
        "client name with a typo": typed(client.legal_name),
        "common stem": client.normalized_name.split()[0][:6],
        "stakeholder name": person.full_name if person else "Popescu",
        "deal word": (deal.title.split()[0] if deal else "Compresoare"),
        "no match": "qwxzyv",
    }
    own_queries = {"own client name with a typo": typed(own_client.legal_name)} if own_client else {}
    rows = [("GET /me (bare)", "admin", "/api/v1/me")]
    for label, q in queries.items():
        rows.append((f"admin: search {label} ({q})", "admin", "/api/v1/search?" + urllib.parse.urlencode({"q": q})))
    for label, q in {**own_queries, **queries}.items():
        rows.append((f"head: search {label} ({q})", "head", "/api/v1/search?" + urllib.parse.urlencode({"q": q})))
    q = queries["client name with a typo"]
    rows.append((f"admin: page /search/ ({q})", "admin-page", "/search/?" + urllib.parse.urlencode({"q": q})))
    rows.append((f"head: page /search/ ({q})", "head-page", "/search/?" + urllib.parse.urlencode({"q": q})))
    return rows


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of issue 10's data set (default 1.0)")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per endpoint (default 60)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--head", default="d01-head")
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
                       "KEYCHANNEL_API_RATE_LIMIT": "10000000/m"})
    started = time.monotonic()
    commit = _commit()
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
    print(f"bench: {step[0]} …", flush=True)
    done = subprocess.run([PY, str(ROOT / "manage.py"), *step], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        return 2
    try:
        info = dataset.ensure(args.scale, progress=lambda m: print(m, flush=True))
    except dataset.DatasetError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    counts = {k: v for k, v in info["counts"].items() if k != "scale"}
    User = get_user_model()
    admin, head = User.objects.get(username="admin"), User.objects.get(username=args.head)
    _t, admin_token = services.api_token_create(principal=Principal.for_user(admin), name="bench")
    _t, head_token = services.api_token_create(principal=Principal.for_user(head), name="bench")
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
    timings = {label: [] for label, *_ in chosen}
    statuses = {label: set() for label, *_ in chosen}
    hits = {label: 0 for label, *_ in chosen}
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
            for _label, who, path in chosen:
                clients[who].request("GET", path)
        load_start = [round(x, 2) for x in os.getloadavg()]
        for i in range(args.requests):
            for label, who, path in chosen:
                status, ms, content = clients[who].request("GET", path)
                timings[label].append(ms)
                statuses[label].add(status)
                if who in ("admin", "head") and "search" in path and status == 200:
                    hits[label] = sum(len(g["hits"]) for g in json.loads(content)["groups"])
            if (i + 1) % max(1, args.requests // 5) == 0:
                print(f"bench: round {i + 1}/{args.requests}", flush=True)
    finally:
        try:
            os.killpg(gunicorn.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        gunicorn.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    load_after = [round(x, 2) for x in os.getloadavg()]

    bare_label = chosen[0][0]
    bare_median, bare_p95 = statistics.median(timings[bare_label]), _p95(timings[bare_label])
    results = {}
    for label, who, path in chosen:
        median, p95 = statistics.median(timings[label]), _p95(timings[label])
        results[label] = {"who": who, "path": path, "median_ms": round(median, 2), "p95_ms": round(p95, 2),
                          "median_ratio": round(median / bare_median, 2), "p95_ratio": round(p95 / bare_p95, 2),
                          "statuses": sorted(statuses[label]), "hits": hits[label]}
    api = [r for label, r in results.items() if label != bare_label and r["who"] in ("admin", "head")]
    summary = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "machine": f"{platform.node()} · {os.cpu_count()} CPUs · {platform.machine()} · "
                   f"Python {platform.python_version()}",
        "load_average_before": load_before, "load_average_after_warmup": load_start,
        "load_average_after": load_after, "scale": args.scale, "rows": counts,
        "dataset_built_now": info["built"], "requests_per_endpoint": args.requests, "warmup_rounds": args.warmup,
        "workers": args.workers, "distributor_head": args.head, "endpoints": results,
        "worst_api_p95_ratio": max(r["p95_ratio"] for r in api),
        "target_met": max(r["p95_ratio"] for r in api) <= TARGET,
        "total_s": round(time.monotonic() - started),
    }
    text = render(summary)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_search.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "bench_search.md").write_text(text)
    print(text)
    bad = [label for label, r in results.items() if any(s >= 500 for s in r["statuses"])]
    if bad:
        print(f"bench: server errors (or failed connections) on {bad}", file=sys.stderr)
        return 1
    return 0


def render(s: dict) -> str:
    rows = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in s["rows"].items())
    lines = [
        f"Global search benchmark, {s['date']}, commit `{s['commit']}`.",
        "",
        f"Machine: {s['machine']}; gunicorn {s['workers']} sync workers, PostgreSQL (scripts/pgtest.py), DEBUG off. "
        f"Load average (1/5/15 min) before: {s['load_average_before']}, after warm-up: "
        f"{s['load_average_after_warmup']}, after: {s['load_average_after']}.",
        "",
        f"Data set: scale {s['scale']:g} of issue 10 ({rows}).",
        "",
        f"{s['requests_per_endpoint']} requests per endpoint after {s['warmup_rounds']} warm-up rounds, interleaved "
        f"round-robin; `admin` = whole network, `head` = {s['distributor_head']} (one distributor). "
        "× bare = this endpoint's figure / the same figure of `GET /api/v1/me` in the same run.",
        "",
        "| endpoint | hits | median ms | p95 ms | median × bare | p95 × bare | status |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, r in s["endpoints"].items():
        lines.append(f"| {label} | {r['hits']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['median_ratio']} | "
                     f"{r['p95_ratio']} | {','.join(map(str, r['statuses']))} |")
    lines += ["", f"Worst API search p95 × bare: {s['worst_api_p95_ratio']} (target ≤ {TARGET:g}: "
                  f"{'met' if s['target_met'] else 'NOT met'} at scale {s['scale']:g}).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

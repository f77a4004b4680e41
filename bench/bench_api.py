#!/usr/bin/env python3
"""API benchmark: the main list and detail endpoints against a bare endpoint, as ratios, in one run.

    python bench/bench_api.py [--scale 0.05] [--requests 200] [--workers 2] [--reuse]

On PostgreSQL only (``KEYCHANNEL_DATABASE_URL``; without it the script re-runs itself under
``scripts/pgtest.py run``, a throwaway server). Steps:

1. ``keychannel demo --no-serve`` (migrate, the demo network, its users);
2. grow the data set to ``--scale`` × the size issue 10 asks for (2,000 distributors, 200,000 clients,
   1,000,000 stakeholders, 300,000 opportunities): new rows are clones of demo rows with new names and keys,
   inserted with ``bulk_create`` in batches (bypassing the audit trail: they are load, not history);
   ``--reuse`` skips this when the database already has the rows;
3. gunicorn with ``--workers N`` on 127.0.0.1, persistent connections, DEBUG off;
4. for each endpoint, ``--requests`` sequential requests with a bearer token of a channel manager (whole
   network reach is "all" for an admin; we use the admin) after a warm-up, interleaved round-robin so every
   endpoint sees the same machine; reports median, p95 and the ratio of medians to ``GET /api/v1/me``;
5. the resident memory (RSS) of every gunicorn worker after the run.

Results go to stdout and ``var/bench/bench_api.json``/``.md`` (copy the table into ``docs/benchmarks.md``).
Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
FULL = {"distributors": 2000, "clients": 200_000, "stakeholders": 1_000_000, "opportunities": 300_000}
BATCH = 5000
LOAD_BEFORE: list = []


# ---- data set --------------------------------------------------------------------------------------------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _clone(template, model=None, **overrides):
    """A new unsaved instance with every concrete field of ``template`` except the key, plus ``overrides``.

    Without a template (the demo has no such rows), the model's defaults plus ``overrides``.
    """
    model = model or type(template)
    values = {}
    for field in model._meta.concrete_fields if template is not None else []:
        if field.primary_key or field.name in ("created_at", "updated_at", "created", "modified"):
            continue
        values[field.attname] = getattr(template, field.attname)
    values.update(overrides)
    obj = model(**values)
    if hasattr(obj, "refresh_derived_fields"):
        obj.refresh_derived_fields()
    return obj


def _bulk(model, objects):
    from django.db import models

    created = 0
    for start in range(0, len(objects), BATCH):
        created += len(models.QuerySet(model).bulk_create(objects[start:start + BATCH]))
    return created


def build(scale: float, progress=print) -> dict:
    """Grow the demo data to ``scale`` × FULL; returns the row counts."""
    from django.apps import apps
    from django.db import transaction

    target = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    rng = random.Random(10)
    Organization = apps.get_model("core", "Organization")
    Distributor = apps.get_model("network", "Distributor")
    counts = {"distributors": Distributor.objects.count()}
    with transaction.atomic():
        missing = target["distributors"] - counts["distributors"]
        if missing > 0:
            template = Distributor.objects.order_by("pk").first()
            start = Distributor.objects.count()
            orgs = [_clone(template.organization, name=f"Bench Distributor {start + i} SRL") for i in range(missing)]
            _bulk(Organization, orgs)
            orgs = list(Organization.objects.filter(name__startswith="Bench Distributor ").order_by("pk"))[-missing:]
            dists = [_clone(template, organization_id=org.pk, code=f"bx{start + i:05d}", legal_name=org.name,
                            tax_id=f"RO8{start + i:07d}", channel_manager_id=template.channel_manager_id)
                     for i, org in enumerate(orgs)]
            _bulk(Distributor, dists)
            progress(f"  distributors: +{missing}")
    distributor_ids = list(Distributor.objects.values_list("pk", flat=True))
    counts["distributors"] = len(distributor_ids)

    if apps.is_installed("keychannel.clients"):
        Client = apps.get_model("clients", "CorporateClient")
        Stakeholder = apps.get_model("clients", "Stakeholder")
        with transaction.atomic():
            missing = target["clients"] - Client.objects.count()
            template = Client.objects.order_by("pk").first()
            if missing > 0 and template is not None:
                start = Client.objects.count()
                words = ["Metal", "Agro", "Tech", "Grup", "Nord", "Sud", "Construct", "Pharma", "Energo", "Trans"]
                forms = ["SRL", "SA", "SCS", "GmbH"]
                for chunk in range(0, missing, 20_000):
                    objs = [_clone(template, legal_name=f"{rng.choice(words)} {rng.choice(words)} {start + i} "
                                                        f"{rng.choice(forms)}",
                                   tax_id=f"RO7{start + i:08d}", code="", distributor_id=rng.choice(distributor_ids))
                            for i in range(chunk, min(missing, chunk + 20_000))]
                    _bulk(Client, objs)
                    progress(f"  clients: +{chunk + len(objs)}/{missing}")
        client_ids = list(Client.objects.values_list("pk", flat=True))
        counts["clients"] = len(client_ids)
        with transaction.atomic():
            missing = target["stakeholders"] - Stakeholder.objects.count()
            template = Stakeholder.objects.order_by("pk").first()
            if missing > 0:
                for chunk in range(0, missing, 50_000):
                    objs = [_clone(template, Stakeholder, client_id=rng.choice(client_ids), full_name=f"Person {chunk + i}",
                                   reports_to_id=None, email="")
                            for i in range(min(50_000, missing - chunk))]
                    _bulk(Stakeholder, objs)
                    progress(f"  stakeholders: +{chunk + len(objs)}/{missing}")
        counts["stakeholders"] = Stakeholder.objects.count()

    if apps.is_installed("keychannel.deals") and "clients" in counts:
        Opportunity = apps.get_model("deals", "Opportunity")
        Client = apps.get_model("clients", "CorporateClient")
        with transaction.atomic():
            missing = target["opportunities"] - Opportunity.objects.count()
            template = Opportunity.objects.order_by("pk").first()
            if missing > 0 and template is not None:
                pairs = list(Client.objects.filter(distributor__isnull=False).values_list("pk", "distributor_id"))
                for chunk in range(0, missing, 50_000):
                    objs = []
                    for i in range(min(50_000, missing - chunk)):
                        client_id, distributor_id = rng.choice(pairs)
                        objs.append(_clone(template, client_id=client_id, distributor_id=distributor_id,
                                           title=f"Bench deal {chunk + i}", contract_id=None))
                    _bulk(Opportunity, objs)
                    progress(f"  opportunities: +{chunk + len(objs)}/{missing}")
        counts["opportunities"] = Opportunity.objects.count()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


# ---- measuring -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, token: str) -> tuple[int, float, int]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return status, (time.perf_counter() - start) * 1000, len(body)


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


def endpoints(token_user_ids: dict) -> list[tuple[str, str]]:
    """(label, path) for the main list and detail endpoints that exist in this version."""
    from django.apps import apps

    from keychannel.api import api

    paths = set(api.get_openapi_schema(path_prefix="/api/v1")["paths"])
    chosen = [("GET /me (bare)", "/api/v1/me")]
    Distributor = apps.get_model("network", "Distributor")
    mid = Distributor.objects.order_by("pk")[Distributor.objects.count() // 2].pk
    chosen += [("GET /distributors?limit=50", "/api/v1/distributors?limit=50"),
               ("GET /distributors/{id}", f"/api/v1/distributors/{mid}")]
    if "/api/v1/clients" in paths:
        Client = apps.get_model("clients", "CorporateClient")
        cid = Client.objects.order_by("pk")[Client.objects.count() // 2].pk
        chosen += [("GET /clients?limit=50", "/api/v1/clients?limit=50"),
                   ("GET /clients?search=metal", "/api/v1/clients?search=metal&limit=50"),
                   ("GET /clients?offset=deep", f"/api/v1/clients?limit=50&offset={max(0, Client.objects.count() - 100)}"),
                   ("GET /clients/{id}", f"/api/v1/clients/{cid}")]
        if "/api/v1/clients/{client_id}/stakeholders" in paths:
            chosen.append(("GET /clients/{id}/stakeholders", f"/api/v1/clients/{cid}/stakeholders"))
    if "/api/v1/opportunities" in paths:
        Opportunity = apps.get_model("deals", "Opportunity")
        oid = Opportunity.objects.order_by("pk")[Opportunity.objects.count() // 2].pk
        chosen += [("GET /opportunities?limit=50", "/api/v1/opportunities?limit=50"),
                   ("GET /opportunities?open", "/api/v1/opportunities?open=true&limit=50"),
                   ("GET /opportunities/{id}", f"/api/v1/opportunities/{oid}")]
    if "/api/v1/forecast" in paths:
        chosen.append(("GET /forecast?by=distributor", "/api/v1/forecast?by=distributor"))
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05,
                        help="fraction of issue 10's data set (1.0 = 2,000 distributors, 200k clients, 1M "
                             "stakeholders, 300k opportunities); default 0.05")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="do not grow the data set")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args(argv)

    if not os.environ.get("KEYCHANNEL_DATABASE_URL", "").startswith("postgres"):
        print("bench: no PostgreSQL in KEYCHANNEL_DATABASE_URL, starting a throwaway one", flush=True)
        return subprocess.call([PY, str(ROOT / "scripts" / "pgtest.py"), "run", "--", PY, __file__,
                                *(argv if argv is not None else sys.argv[1:])])
    data_dir = Path(tempfile.mkdtemp(prefix="keychannel-bench-"))
    os.environ.update({"KEYCHANNEL_DATA_DIR": str(data_dir), "KEYCHANNEL_DEBUG": "false",
                       "KEYCHANNEL_LOG_LEVEL": "WARNING",
                       "KEYCHANNEL_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"})
    started = time.monotonic()
    print("bench: migrating and seeding the demo network …", flush=True)
    seeded = subprocess.run([PY, str(ROOT / "manage.py"), "demo", "--no-serve"], cwd=ROOT, capture_output=True,
                            text=True)
    if seeded.returncode != 0:
        print(seeded.stdout[-3000:], seeded.stderr[-3000:], file=sys.stderr)
        return 2
    _django()
    from django.contrib.auth import get_user_model

    from keychannel.core import services
    from keychannel.core.scoping import Principal

    t0 = time.monotonic()
    counts = build(0 if args.reuse else args.scale, progress=lambda m: print(m, flush=True))
    build_s = time.monotonic() - t0
    print(f"bench: data set {counts} (built in {build_s:.0f}s)", flush=True)
    admin = get_user_model().objects.get(username="admin")
    _token, token = services.api_token_create(principal=Principal.for_user(admin), name="bench")
    chosen = endpoints({})
    from django.db import connections

    connections.close_all()

    global LOAD_BEFORE
    LOAD_BEFORE = [round(x, 1) for x in os.getloadavg()]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [PY, "-m", "gunicorn", "keychannel.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, start_new_session=True,
    )
    results = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(f"{base}/api/v1/me", token)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("bench: gunicorn did not start")
            time.sleep(0.3)
        for _ in range(args.warmup):
            for _label, path in chosen:
                fetch(base + path, token)
        timings = {label: [] for label, _ in chosen}
        statuses = {label: set() for label, _ in chosen}
        sizes = {label: 0 for label, _ in chosen}
        for _ in range(args.requests):
            for label, path in chosen:
                status, ms, size = fetch(base + path, token)
                timings[label].append(ms)
                statuses[label].add(status)
                sizes[label] = size
        rss = [round(rss_mb(pid), 1) for pid in worker_pids(gunicorn.pid)]
        master_rss = round(rss_mb(gunicorn.pid), 1)
    finally:
        try:
            os.killpg(gunicorn.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        gunicorn.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    bare = statistics.median(timings[chosen[0][0]])
    for label, _path in chosen:
        values = sorted(timings[label])
        median = statistics.median(values)
        results[label] = {"median_ms": round(median, 2), "p95_ms": round(values[int(len(values) * 0.95) - 1], 2),
                          "ratio": round(median / bare, 1), "statuses": sorted(statuses[label]),
                          "bytes": sizes[label]}
    summary = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} · {os.cpu_count()} CPUs · {platform.processor() or platform.machine()} · "
                   f"Python {platform.python_version()}",
        "load_average_before": LOAD_BEFORE,
        "scale": 0 if args.reuse else args.scale, "rows": counts, "build_s": round(build_s),
        "requests_per_endpoint": args.requests, "workers": args.workers,
        "worker_rss_mb": rss, "master_rss_mb": master_rss, "endpoints": results,
        "total_s": round(time.monotonic() - started),
    }
    lines = [
        f"API benchmark, {summary['date']}, {summary['machine']}; gunicorn {args.workers} workers, PostgreSQL, "
        f"{args.requests} sequential requests per endpoint (interleaved), as the admin (whole network); "
        f"load average before measuring {LOAD_BEFORE}.",
        "",
        "Data set: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()) + f" (scale {summary['scale']}, built in "
        f"{summary['build_s']} s).",
        "",
        "| endpoint | median ms | p95 ms | × bare | status | bytes |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for label, r in results.items():
        lines.append(f"| {label} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['ratio']} | "
                     f"{','.join(map(str, r['statuses']))} | {r['bytes']:,} |")
    lines += ["", f"Memory: gunicorn workers {', '.join(f'{m} MB' for m in rss)} RSS after the run "
                  f"(master {master_rss} MB)."]
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_api.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "bench_api.md").write_text(text)
    print(text)
    print(f"bench: results in {out}/bench_api.json / .md ({summary['total_s']} s in all)")
    bad = [label for label, r in results.items() if any(s >= 500 for s in r["statuses"])]
    if bad:
        print(f"bench: server errors on {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Pipeline list latency at scale, as a ratio to a bare endpoint served by the same server in the same run.

    .venv/bin/python bench/bench_pipeline.py [--rows 100000] [--requests 200] [--workers 1]

Builds ``--rows`` opportunities (with their product lines) in a temporary SQLite file, or in the database of
``KEYCHANNEL_DATABASE_URL`` when it is set (rows already there are reused), serves the app under gunicorn on
127.0.0.1, then requests the pipeline list endpoint and ``/api/v1/me`` alternately (so both see the same
machine load) and reports medians, 95th percentiles and the ratio of the medians. Also measured: the list as
a distributor head (scoped), with a stage filter, the table page and the kanban page.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(tmp: Path):
    if not os.environ.get("KEYCHANNEL_DATABASE_URL"):
        os.environ["KEYCHANNEL_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("KEYCHANNEL_DATA_DIR", str(tmp))
    os.environ.setdefault("KEYCHANNEL_LOG_LEVEL", "WARNING")
    os.environ.setdefault("KEYCHANNEL_DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(rows: int) -> dict:
    """The network, clients and ``rows`` deals; bulk inserts bypass the audit trail (this is scale data)."""
    import datetime
    from decimal import Decimal

    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import models, transaction
    from django.utils import timezone

    from keychannel.clients.models import CorporateClient
    from keychannel.core import services as core_services
    from keychannel.core.choices import OrganizationKind, Role
    from keychannel.core.models import Organization
    from keychannel.core.scoping import Principal
    from keychannel.core.tests.factories import make_user, manufacturer
    from keychannel.deals import rollups
    from keychannel.deals.choices import DEFAULT_PROBABILITY, Stage
    from keychannel.deals.models import Opportunity
    from keychannel.network.models import Distributor, ProductLine, Territory

    call_command("migrate", verbosity=0)
    maker = manufacturer()
    territory, _ = Territory.objects.get_or_create(code="bench", defaults={"name": "Bench county", "level": "county"})
    lines = [ProductLine.objects.get_or_create(code=f"bench-{i}", defaults={"name": f"Bench line {i}"})[0]
             for i in range(4)]
    distributors = []
    for index in range(10):
        distributor = Distributor.objects.filter(code=f"b{index:02d}").first()
        if distributor is None:
            org = Organization.objects.create(name=f"Bench distributor {index}", kind=OrganizationKind.DISTRIBUTOR)
            distributor = Distributor.objects.create(organization=org, code=f"b{index:02d}", legal_name=org.name,
                                                     tax_id=f"B{index:08d}", territory=territory)
        distributors.append(distributor)
    User = __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model()
    admin = User.objects.filter(username="bench-admin").first() or make_user(Role.ADMIN, maker, username="bench-admin")
    head = User.objects.filter(username="bench-head").first() or make_user(
        Role.DIST_HEAD, distributors[0].organization, username="bench-head")
    clients = list(CorporateClient.objects.filter(code__startswith="bench-"))
    if not clients:
        for index in range(500):
            CorporateClient.objects.create(code=f"bench-{index}", legal_name=f"Bench client {index} SA",
                                           distributor=distributors[index % 10], territory=territory)
        clients = list(CorporateClient.objects.filter(code__startswith="bench-"))
    existing = Opportunity.objects.count()
    rng = random.Random(7)
    today = timezone.localdate()
    started = time.perf_counter()
    plain = models.QuerySet(model=Opportunity)
    through = Opportunity.product_lines.through
    batch = 5000
    stages = Stage.values
    with transaction.atomic():
        for start in range(existing, rows, batch):
            objs = []
            for n in range(start, min(rows, start + batch)):
                client = clients[n % len(clients)]
                stage = stages[n % len(stages)]
                objs.append(Opportunity(
                    title=f"Bench deal {n}", client=client, distributor_id=client.distributor_id, owner=head,
                    value=Decimal(rng.randrange(10_000, 3_000_000, 1000)), stage=stage,
                    probability=DEFAULT_PROBABILITY[stage], lost_reason="Price" if stage == Stage.LOST else "",
                    lost_reason_code="price" if stage == Stage.LOST else "",
                    expected_close_on=today + datetime.timedelta(days=rng.randint(-30, 300)),
                    next_step="Call" if n % 4 else "", next_step_on=today + datetime.timedelta(days=rng.randint(-9, 30)),
                ))
            created = plain.bulk_create(objs)
            if not created[0].pk:  # backends that do not return ids
                created = list(Opportunity.objects.filter(title__in=[o.title for o in objs]))
            models.QuerySet(model=through).bulk_create(
                [through(opportunity_id=o.pk, productline_id=lines[i % 4].pk) for i, o in enumerate(created)])
        rollups.rebuild()  # the rows went in past Opportunity's queryset: recount the pipeline roll-up
    built = time.perf_counter() - started
    _, admin_token = core_services.api_token_create(principal=Principal.for_user(admin), name="bench")
    _, head_token = core_services.api_token_create(principal=Principal.for_user(head), name="bench")
    session = SessionStore()
    session["_auth_user_id"] = str(admin.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = admin.get_session_auth_hash()
    session.create()
    return {"admin_token": admin_token, "head_token": head_token, "session": session.session_key,
            "rows": Opportunity.objects.count(), "built_s": built, "inserted": max(0, rows - existing)}


def serve(port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "keychannel.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy(),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def timed(conn, path, headers) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return elapsed * 1000


def measure(port, requests, cases, bare) -> list[dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    results = []
    for label, path, headers in cases:
        for _ in range(10):  # warm-up: connections, caches, the token's last-used write
            timed(conn, path, headers)
            timed(conn, bare[0], bare[1])
        mine, base = [], []
        for _ in range(requests):
            mine.append(timed(conn, path, headers))
            base.append(timed(conn, bare[0], bare[1]))
        results.append({
            "label": label, "path": path, "median": statistics.median(mine),
            "p95": statistics.quantiles(mine, n=20)[18], "bare_median": statistics.median(base),
            "ratio": statistics.median(mine) / statistics.median(base),
        })
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        setup_django(Path(tmp))
        from django.conf import settings
        from django.db import connections

        data = build(args.rows)
        vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        connections.close_all()
        port = free_port()
        proc = serve(port, args.workers)
        try:
            admin = {"Authorization": f"Bearer {data['admin_token']}"}
            head = {"Authorization": f"Bearer {data['head_token']}"}
            page = {"Cookie": f"sessionid={data['session']}"}
            cases = [
                ("API list, admin, 50 rows", "/api/v1/opportunities?limit=50", admin),
                ("API list, distributor head (scoped), 50 rows", "/api/v1/opportunities?limit=50", head),
                ("API list, admin, stage=proposal", "/api/v1/opportunities?limit=50&stage=proposal", admin),
                ("Table page /deals/, admin", "/deals/", page),
                ("Kanban page /deals/pipeline/, admin", "/deals/pipeline/", page),
            ]
            results = measure(port, args.requests, cases, ("/api/v1/me", admin))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"\n# Pipeline benchmark: {data['rows']:,} opportunities on {vendor}, gunicorn {args.workers} worker(s), "
          f"{args.requests} requests per case, each alternated with GET /api/v1/me")
    print(f"(inserted {data['inserted']:,} rows in {data['built_s']:.1f} s)\n")
    print("| case | median ms | p95 ms | /api/v1/me median ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['label']} | {r['median']:.1f} | {r['p95']:.1f} | {r['bare_median']:.1f} | {r['ratio']:.1f}× |")


if __name__ == "__main__":
    main()

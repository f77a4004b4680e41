"""Benchmarks of the sales app: the three ratios of issue 9, item 5, measured in one run.

1. import rows/s through the real import service (parse, validate, resolve, insert, segments) against a raw
   bulk load of the same rows into the same table (PostgreSQL ``COPY``; SQLite ``executemany`` in one
   transaction);
2. segmentation recompute (``services.segments_refresh`` for every distributor and year) against one
   hand-written SQL aggregate over the same lines;
3. the segment list endpoint (``GET /api/v1/segments``) against a bare endpoint on the same server
   (in-process WSGI, same middleware, a logged-in admin).

Usage (figures go to stdout)::

    .venv/bin/python bench/bench_sales.py                       # SQLite in a temporary directory
    .venv/bin/python scripts/pgtest.py run -- .venv/bin/python bench/bench_sales.py   # throwaway PostgreSQL
    options: --clients N --lines N --file-rows N --distributors N --requests N

Default size: PostgreSQL 20 000 clients, 1 000 000 lines, a 100 000-row file; SQLite 10 000 clients,
300 000 lines, a 50 000-row file (a few minutes on two cores). The issue's full size (200k clients, 10M
lines) is ``--clients 200000 --lines 10000000``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("KEYCHANNEL_DATABASE_URL", "").startswith("postgres"):
    os.environ["KEYCHANNEL_DATA_DIR"] = tempfile.mkdtemp(prefix="kc-bench-sales-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
os.environ.setdefault("KEYCHANNEL_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402

import keychannel.urls  # noqa: E402
from keychannel.clients.models import CorporateClient  # noqa: E402
from keychannel.core.choices import OrganizationKind, Role  # noqa: E402
from keychannel.core.models import Membership, Organization  # noqa: E402
from keychannel.core.scoping import Principal  # noqa: E402
from keychannel.network.models import Distributor, ProductLine, Territory  # noqa: E402
from keychannel.sales import services  # noqa: E402
from keychannel.sales.choices import ReportSource, ReportStatus  # noqa: E402
from keychannel.sales.models import ClientSegment, ProductMapping, SalesLine, SalesReport  # noqa: E402

PG = connection.vendor == "postgresql"
LINE_TABLE = SalesLine._meta.db_table
COLUMNS = services.LINE_COLUMNS
KEY = "753217532"


def cui(n: int) -> str:
    body = str(n)
    total = sum(int(d) * int(k) for d, k in zip(body.rjust(9, "0"), KEY, strict=True))
    check = total * 10 % 11
    return body + str(0 if check == 10 else check)


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [*keychannel.urls.urlpatterns, path("bench/bare/", bare)]


def write_rows(rows):
    """The raw load: COPY (PostgreSQL) or executemany in one transaction (SQLite)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if PG:
            with cursor.cursor.copy(f"COPY {LINE_TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(f"INSERT INTO {LINE_TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})", rows)


def setup(args, rng):
    t0 = time.perf_counter()
    manufacturer = Organization.objects.create(name="Bench SA", kind=OrganizationKind.MANUFACTURER)
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create(username="bench-admin", is_staff=True, is_superuser=True)
    Membership.objects.create(user=admin, organization=manufacturer, role=Role.ADMIN)
    territory = Territory.objects.create(name="RO", code="ro", level="country")
    line = ProductLine.objects.create(name="Pumps", code="pumps")
    distributors = []
    for i in range(args.distributors):
        org = Organization.objects.create(name=f"D{i}", kind=OrganizationKind.DISTRIBUTOR)
        distributors.append(Distributor.objects.create(organization=org, code=f"b{i:02d}", legal_name=f"D{i} SRL",
                                                       tax_id=str(9_000_000 + i), territory=territory))
    ProductMapping.objects.bulk_create([ProductMapping(distributor=d, product_code=f"P{k}", product_line=line)
                                        for d in distributors for k in range(5)])
    clients = [CorporateClient(legal_name=f"Client {i} SRL", normalized_name=f"client {i}", tax_id=cui(1_000_000 + i),
                               distributor=distributors[i % len(distributors)], is_key_account=i % 20 == 0,
                               potential_annual_volume=Decimal(rng.randint(10_000, 2_000_000)), status="active")
               for i in range(args.clients)]
    CorporateClient.objects.bulk_create(clients, batch_size=5000)
    ids = list(CorporateClient.objects.order_by("pk").values_list("pk", "distributor_id"))
    # History: two full years of lines spread over every distributor, one report per distributor and month.
    reports = {}
    for d in distributors:
        for year in (2024, 2025):
            for month in range(1, 13):
                reports[(d.pk, year, month)] = SalesReport(
                    distributor=d, period=date(year, month, 1), file_name="bench.csv",
                    file_hash=f"bench-{d.pk}-{year}-{month}", content=b"", status=ReportStatus.APPLIED,
                    source=ReportSource.DEMO)
    SalesReport.objects.bulk_create(list(reports.values()), batch_size=2000)
    chunk = []
    for n in range(args.lines):
        client_id, distributor_id = ids[rng.randrange(len(ids))]
        year, month, day = 2024 + n % 2, 1 + rng.randrange(12), 1 + rng.randrange(28)
        amount = Decimal(rng.randint(100, 500_000)) / 100
        chunk.append((reports[(distributor_id, year, month)].pk, distributor_id, client_id, line.pk,
                      date(year, month, day), Decimal(rng.randint(1, 50)), amount, "RON", f"F{n}", n + 2))
        if len(chunk) == 50_000:
            write_rows(chunk)
            chunk = []
    if chunk:
        write_rows(chunk)
    print(f"set-up: {args.distributors} distributors, {args.clients} clients, {args.lines} lines in "
          f"{time.perf_counter() - t0:.1f} s")
    return admin, distributors, ids, line


def bench_import(args, rng, admin, distributors, ids, line):
    target = distributors[0]
    mine = [(pk, cui(1_000_000 + index)) for index, (pk, d) in enumerate(ids) if d == target.pk]
    header = "Data factură;Nr. factură;CUI client;Cod produs;Cantitate;Valoare fără TVA (RON)"
    rows, resolved = [], []
    for n in range(args.file_rows):
        client_id, tax_id = mine[rng.randrange(len(mine))]
        day, quantity, cents = 1 + rng.randrange(28), rng.randint(1, 50), rng.randint(100, 500_000)
        rows.append(f"{day:02d}.03.2026;F{n};RO{tax_id};P{n % 5};{quantity};{cents // 100},{cents % 100:02d}")
        resolved.append((client_id, date(2026, 3, day), Decimal(quantity), Decimal(cents) / 100, f"F{n}", n + 2))
    data = ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")
    principal = Principal.for_user(admin)

    t0 = time.perf_counter()
    report = services.report_import(principal=principal, distributor=target, data=data, file_name="bench.csv",
                                    source=ReportSource.COMMAND)
    import_s = time.perf_counter() - t0
    assert report.status == ReportStatus.APPLIED, (report.status, report.errors[:3])

    raw_report = SalesReport.objects.create(distributor=target, period=date(2026, 4, 1), file_name="raw.csv",
                                            file_hash="raw", content=b"", status=ReportStatus.APPLIED)
    raw_rows = [(raw_report.pk, target.pk, c, line.pk, d, q, a, "RON", inv, r) for c, d, q, a, inv, r in resolved]
    t0 = time.perf_counter()
    write_rows(raw_rows)
    raw_s = time.perf_counter() - t0
    SalesLine.objects.filter(report=raw_report).delete()
    raw_report.delete()
    n = args.file_rows
    print(f"1. import: {n} rows in {import_s:.2f} s = {n / import_s:,.0f} rows/s (service: parse, validate, "
          f"resolve, {'COPY' if PG else 'executemany'}, segments); raw {'COPY' if PG else 'executemany'} of the same "
          f"rows: {raw_s:.2f} s = {n / raw_s:,.0f} rows/s; ratio import/raw speed = {raw_s / import_s:.2f}")


AGGREGATE_SQL = {
    "postgresql": f"""SELECT distributor_id, client_id, EXTRACT(YEAR FROM date)::int, SUM(amount), SUM(quantity),
                      MAX(date), COUNT(DISTINCT date_trunc('month', date)) FROM {LINE_TABLE} GROUP BY 1, 2, 3""",
    "sqlite": f"""SELECT distributor_id, client_id, CAST(strftime('%Y', date) AS int), SUM(amount), SUM(quantity),
                  MAX(date), COUNT(DISTINCT strftime('%Y-%m', date)) FROM {LINE_TABLE} GROUP BY 1, 2, 3""",
}


def bench_segments(distributors):
    ClientSegment.objects.all().delete()
    ids = [d.pk for d in distributors]
    t0 = time.perf_counter()
    with transaction.atomic():
        created = services.segments_refresh(distributor_ids=ids, years=None)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction.atomic():
        changed = services.segments_refresh(distributor_ids=ids, years=None)
    again_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(AGGREGATE_SQL[connection.vendor])
        groups = len(cursor.fetchall())
    sql_s = time.perf_counter() - t0
    print(f"2. segments: full recompute (writes {created} segments) {first_s:.2f} s; recompute with nothing changed "
          f"({changed} writes) {again_s:.2f} s; one SQL aggregate ({groups} groups) {sql_s:.2f} s; "
          f"ratio recompute/SQL = {first_s / sql_s:.2f} (full), {again_s / sql_s:.2f} (unchanged)")


def bench_endpoint(args, admin):
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(admin)
        timings = {}
        for name, url in (("segments", "/api/v1/segments?limit=100&year=2025"), ("bare", "/bench/bare/")):
            for _ in range(10):
                assert client.get(url).status_code == 200
            samples = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                client.get(url)
                samples.append(time.perf_counter() - t0)
            timings[name] = statistics.median(samples)
    print(f"3. endpoint: GET /api/v1/segments?limit=100 median {timings['segments'] * 1000:.1f} ms; bare endpoint "
          f"{timings['bare'] * 1000:.1f} ms; ratio = {timings['segments'] / timings['bare']:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20_000 if PG else 10_000)
    parser.add_argument("--lines", type=int, default=1_000_000 if PG else 300_000)
    parser.add_argument("--file-rows", type=int, default=100_000 if PG else 50_000)
    parser.add_argument("--distributors", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(9)
    print(f"keychannel sales benchmark · {date.today()} · {connection.vendor} · Python {platform.python_version()} · "
          f"{platform.machine()} · {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    if SalesLine.objects.exists():
        sys.exit("the database already holds sales lines: run on an empty database")
    admin, distributors, ids, line = setup(args, rng)
    bench_import(args, rng, admin, distributors, ids, line)
    bench_segments(distributors)
    bench_endpoint(args, admin)


if __name__ == "__main__":
    main()

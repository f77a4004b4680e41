"""Benchmarks of the sales app: the ratios of issue 9, item 5 and issue 22, item 4, measured in one run.

1. import rows/s through the real import service (parse, validate, resolve, insert, segments) against a raw
   bulk load of the same rows into the same table (PostgreSQL ``COPY``; SQLite ``executemany`` in one
   transaction);
2. segmentation recompute (``services.segments_refresh`` for every distributor and year) against one
   hand-written SQL aggregate over the same lines; and the import's own recompute (its distributor's years only,
   timed inside the import of 1.) against that full recompute;
3. the segment list endpoint (``GET /api/v1/segments``) against a bare endpoint on the same server
   (in-process WSGI, same middleware, a logged-in admin).

On PostgreSQL the data set is the shared one of ``bench/dataset.py`` (issue 10's size at ``--scale 1``:
2,000 distributors, 200,000 clients, 10,000,000 sales lines over 2024–2025), built once in the kept cluster
``var/bench/pgdata`` and reused — ``make bench`` runs ``bench_api.py`` first, which builds it. The import
measured here goes to an empty month (2026-03) of one bench distributor and is removed afterwards, so the
data set stays as it was. On SQLite (no ``KEYCHANNEL_DATABASE_URL``) a small self-contained set is generated
in a temporary directory.

Usage (figures go to stdout and to var/bench/bench_sales.json / .md)::

    .venv/bin/python scripts/pgtest.py run --keep var/bench/pgdata -- .venv/bin/python bench/bench_sales.py
    .venv/bin/python bench/bench_sales.py --sqlite       # SQLite in a temporary directory
    options: --scale S (PostgreSQL data set), --file-rows N, --requests N, --rounds N;
             SQLite only: --clients N --lines N --distributors N

Ratios are of medians over ``--rounds`` alternating repetitions (the raw side and ours in turn), the recompute
from empty included (each round empties the segment table again): one from-empty run against a median of the
aggregate swung by ±40 % on a shared machine. The per-round ratios are printed as the spread.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
KEEP = ROOT / "var" / "bench" / "pgdata"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
if not os.environ.get("KEYCHANNEL_DATABASE_URL", "").startswith("postgres"):
    if "--sqlite" not in sys.argv:
        print(f"bench_sales: no PostgreSQL in KEYCHANNEL_DATABASE_URL, using the kept cluster {KEEP}", flush=True)
        sys.exit(subprocess.call([sys.executable, str(ROOT / "scripts" / "pgtest.py"), "run", "--keep", str(KEEP),
                                  "--", sys.executable, __file__, *sys.argv[1:]]))
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
from keychannel.sales import segmentation, services  # noqa: E402
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


def sqlite_setup(args, rng):
    """A small self-contained data set (SQLite): distributors, clients with codes, two years of lines."""
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
    clients = [CorporateClient(legal_name=f"Client {i} SRL", normalized_name=f"client {i}", tax_id=cui(1_000_000 + i),
                               code=f"BX{i:07d}",
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
    return admin


def pg_setup(args):
    """The shared data set of bench/dataset.py in this (kept) PostgreSQL cluster, built when missing."""
    import dataset
    from django.db import connections

    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
        seeded = cursor.fetchone()[0]
    connections.close_all()
    step = ["migrate", "--no-input", "-v", "0"] if seeded else ["demo", "--no-serve"]
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *step], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(step)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    info = dataset.ensure(args.scale, progress=lambda m: print(m, flush=True))
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin"), info["counts"]


def bench_import(args, rng, admin, line):
    """The import service against a raw load of the same rows, for one distributor's empty month."""
    from django.db.models import Count

    period = date(2026, 3, 1)
    # A distributor with nothing reported after 2025 (the bench ones; the demo ones report up to last month).
    busy = SalesReport.objects.filter(period__gte=date(2026, 1, 1)).values("distributor_id")
    target_id = (CorporateClient.objects.filter(code__startswith="BX").exclude(distributor=None)
                 .exclude(distributor_id__in=busy)
                 .values("distributor_id").annotate(n=Count("id")).order_by("-n", "distributor_id")[0]["distributor_id"])
    target = Distributor.objects.get(pk=target_id)
    _remove_month(target, period)
    mapped = [ProductMapping.objects.get_or_create(distributor=target, product_code=f"BENCH-P{k}",
                                                   defaults={"product_line": line})[0] for k in range(5)]
    mine = list(CorporateClient.objects.filter(distributor=target, code__startswith="BX").values_list("pk", "code"))
    header = "Data factură;Nr. factură;CUI client;Cod client;Cod produs;Cantitate;Valoare fără TVA (RON)"
    rows, resolved = [], []
    for n in range(args.file_rows):
        client_id, code = mine[rng.randrange(len(mine))]
        day, quantity, cents = 1 + rng.randrange(28), rng.randint(1, 50), rng.randint(100, 500_000)
        rows.append(f"{day:02d}.03.2026;F{n};;{code};BENCH-P{n % 5};{quantity};{cents // 100},{cents % 100:02d}")
        resolved.append((client_id, date(2026, 3, day), Decimal(quantity), Decimal(cents) / 100, f"F{n}", n + 2))
    data = ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")
    principal = Principal.for_user(admin)
    imports, raws, incremental = [], [], []
    real_refresh = services.segments_refresh

    def timed_refresh(**kwargs):  # the import's own segment recompute, timed inside the import
        t0 = time.perf_counter()
        written = real_refresh(**kwargs)
        incremental.append((time.perf_counter() - t0, written))
        return written

    try:
        for round_ in range(args.rounds):
            raw_report = SalesReport.objects.create(distributor=target, period=date(2026, 4, 1), file_name="raw.csv",
                                                    file_hash=f"raw-{round_}", content=b"", status=ReportStatus.APPLIED)
            raw_rows = [(raw_report.pk, target.pk, c, line.pk, d, q, a, "RON", inv, r) for c, d, q, a, inv, r in resolved]
            t0 = time.perf_counter()
            write_rows(raw_rows)
            raws.append(time.perf_counter() - t0)
            _remove_month(target, date(2026, 4, 1))
            t0 = time.perf_counter()
            services.segments_refresh = timed_refresh
            try:
                report = services.report_import(principal=principal, distributor=target, data=data,
                                                file_name="bench.csv", source=ReportSource.COMMAND)
            finally:
                services.segments_refresh = real_refresh
            imports.append(time.perf_counter() - t0)
            assert report.status == ReportStatus.APPLIED, (report.status, report.errors[:3])
            assert report.line_count == args.file_rows
            _remove_month(target, period)
    finally:
        _remove_month(target, period)
        _remove_month(target, date(2026, 4, 1))
        ProductMapping.objects.filter(pk__in=[m.pk for m in mapped]).delete()
    import_s, raw_s = statistics.median(imports), statistics.median(raws)
    n = args.file_rows
    method = "COPY" if PG else "executemany"
    spread = sorted(r / i for r, i in zip(raws, imports, strict=True))
    print(f"1. import: {n:,} rows of one file for {target.code} ({len(mine)} clients): service (parse, validate, "
          f"resolve, {method}, segments) {import_s:.2f} s = {n / import_s:,.0f} rows/s; raw {method} of the same "
          f"rows {raw_s:.2f} s = {n / raw_s:,.0f} rows/s; ratio import/raw speed = {raw_s / import_s:.2f} "
          f"(rounds {spread[0]:.2f}–{spread[-1]:.2f})", flush=True)
    incremental_s = statistics.median(t for t, _written in incremental)
    print(f"   the import's segment recompute (only {target.code}, 2026 and 2027): {incremental_s:.2f} s, "
          f"{max(w for _t, w in incremental):,} segments written", flush=True)
    return {"rows": n, "distributor": target.code, "import_s": import_s, "raw_s": raw_s, "ratio": raw_s / import_s,
            "import_rows_per_s": n / import_s, "raw_rows_per_s": n / raw_s, "method": method,
            "incremental_s": incremental_s, "incremental_writes": max(w for _t, w in incremental)}


BENCH_FILES = ("bench.csv", "raw.csv")  # the only reports this script creates, and so the only ones it removes


def _remove_month(distributor, period):
    """Take the bench's own month out again, segments of that year included: the data set stays reusable."""
    reports = SalesReport.objects.filter(distributor=distributor, period=period, file_name__in=BENCH_FILES)
    if not reports.exists():
        return
    with transaction.atomic():
        SalesLine.objects.filter(report__in=reports).delete()
        reports.delete()
        services.segments_refresh(distributor_ids=[distributor.pk], years=[period.year])


# The raw side uses date_part, as the recompute does (since PostgreSQL 14 EXTRACT builds a numeric per call: a
# hand-written EXTRACT aggregate is a weaker baseline, which would flatter the recompute's ratio).
AGGREGATE_SQL = {
    "postgresql": f"""SELECT distributor_id, client_id, date_part('year', date)::int, SUM(amount), SUM(quantity),
                      MAX(date), COUNT(DISTINCT date_part('month', date)) FROM {LINE_TABLE} GROUP BY 1, 2, 3""",
    "sqlite": f"""SELECT distributor_id, client_id, CAST(strftime('%Y', date) AS int), SUM(amount), SUM(quantity),
                  MAX(date), COUNT(DISTINCT strftime('%m', date)) FROM {LINE_TABLE} GROUP BY 1, 2, 3""",
}


def _raw_aggregate() -> tuple[float, int]:
    """The hand-written aggregate, with the same memory for sorts the recompute gives itself."""
    with transaction.atomic(), connection.cursor() as cursor:
        if PG:
            cursor.execute(f"SET LOCAL work_mem = '{segmentation.WORK_MEM}'")
        t0 = time.perf_counter()
        cursor.execute(AGGREGATE_SQL[connection.vendor])
        groups = len(cursor.fetchall())
        return time.perf_counter() - t0, groups


def _recompute(ids) -> tuple[float, int]:
    t0 = time.perf_counter()
    with transaction.atomic():
        written = services.segments_refresh(distributor_ids=ids, years=None)
    return time.perf_counter() - t0, written


def bench_segments(args):
    """Every distributor's segments, every year: from empty once, then unchanged, each against the raw SQL."""
    ids = list(Distributor.objects.values_list("pk", flat=True))
    raw, empty, again = [], [], []
    for _round in range(args.rounds):
        raw.append(_raw_aggregate())
        with connection.cursor() as cursor:  # from empty: the stored segments go (not through history: bench only)
            cursor.execute(f"DELETE FROM {ClientSegment._meta.db_table}")
            if PG:
                # An empty table, as autovacuum leaves it: not one whose indexes still hold every deleted row (each
                # insert's unique check would walk the dead entries of its own key).
                cursor.execute(f"VACUUM {ClientSegment._meta.db_table}")
        empty.append(_recompute(ids))
        raw.append(_raw_aggregate())
        again.append(_recompute(ids))
    raw_s = statistics.median(r[0] for r in raw)
    groups = raw[0][1]
    first_s, created = statistics.median(e[0] for e in empty), max(e[1] for e in empty)
    again_s = statistics.median(a[0] for a in again)
    changed = max(a[1] for a in again)
    spread = sorted(e[0] / r[0] for e, r in zip(empty, raw[::2], strict=True))
    print(f"2. segments: recompute from empty (writes {created:,} segments and their history) {first_s:.2f} s; "
          f"recompute with nothing changed ({changed} writes) {again_s:.2f} s; one SQL aggregate ({groups:,} groups) "
          f"{raw_s:.2f} s; ratio recompute/SQL = {first_s / raw_s:.2f} (from empty; rounds {spread[0]:.2f}–"
          f"{spread[-1]:.2f}), {again_s / raw_s:.2f} (unchanged)", flush=True)
    return {"segments": created, "from_empty_s": first_s, "unchanged_s": again_s, "unchanged_writes": changed,
            "sql_s": raw_s, "sql_groups": groups, "ratio_from_empty": first_s / raw_s,
            "ratio_unchanged": again_s / raw_s}


def bench_endpoint(args, users):
    """GET /api/v1/segments (100 rows) against a bare view, in-process, same middleware, alternating."""
    year = ClientSegment.objects.order_by("-year").values_list("year", flat=True).first()
    cases = [(f"segments as {who}", user, f"/api/v1/segments?limit=100&year={year}") for who, user in users]
    cases += [(f"bare as {who}", user, "/bench/bare/") for who, user in users[:1]]
    results = {}
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"]):
        clients = {}
        for name, user, url in cases:
            client = clients.setdefault(user.pk, Client())
            client.force_login(user)
            for _ in range(5):
                response = client.get(url)
                assert response.status_code == 200, (name, response.status_code)
            results[name] = []
        for _ in range(args.requests):
            for name, user, url in cases:
                t0 = time.perf_counter()
                clients[user.pk].get(url)
                results[name].append(time.perf_counter() - t0)
    bare = statistics.median(results[cases[-1][0]])
    out = {}
    for name, _user, url in cases:
        median = statistics.median(results[name])
        out[name] = {"url": url, "median_ms": median * 1000, "ratio": median / bare}
    print("3. endpoint: " + "; ".join(f"{name} median {v['median_ms']:.1f} ms = {v['ratio']:.1f}× bare"
                                      for name, v in out.items()), flush=True)
    return out


def write_report(args, size, results):
    import json

    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "vendor": connection.vendor,
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "load": [round(x, 1) for x in os.getloadavg()], "size": size,
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip()}
    (out / "bench_sales.json").write_text(json.dumps({"meta": meta, **results}, indent=2, default=str))
    imp, seg, end = results["import"], results["segments"], results["endpoint"]
    lines = [
        f"Sales benchmark, {meta['date']}, commit `{meta['commit']}`, {meta['vendor']}, {meta['cpus']} CPUs, "
        f"Python {meta['python']}, load average after the run {meta['load']}; data set {size}.", "",
        "| ratio | target (issue 9) | measured |", "|---|---|---|",
        f"| import rows/s vs raw {imp['method']} of the same rows ({imp['rows']:,}-row file) | ≥ 0.5 | "
        f"**{imp['ratio']:.2f}** ({imp['import_rows_per_s']:,.0f} vs {imp['raw_rows_per_s']:,.0f} rows/s) |",
        f"| segment recompute from empty vs one SQL aggregate | ≤ 1.5× | **{seg['ratio_from_empty']:.2f}×** "
        f"({seg['from_empty_s']:.1f} s vs {seg['sql_s']:.1f} s; {seg['segments']:,} segments with history) |",
        f"| segment recompute, nothing changed, vs the same aggregate | ≤ 1.5× | **{seg['ratio_unchanged']:.2f}×** "
        f"({seg['unchanged_s']:.1f} s) |",
        f"| the import's own recompute (its distributor-years) vs a full recompute, nothing changed | ≤ 0.10× "
        f"(issue 22) | **{seg['ratio_incremental']:.3f}×** ({imp['incremental_s']:.2f} s, "
        f"{imp['incremental_writes']:,} segments written) |",
    ]
    for name, v in end.items():
        if not name.startswith("bare"):
            lines.append(f"| `GET {v['url']}` {name.split(' as ')[1]} vs a bare endpoint | — | "
                         f"**{v['ratio']:.1f}×** ({v['median_ms']:.1f} ms) |")
    (out / "bench_sales.md").write_text("\n".join(lines) + "\n")
    print(f"written {out / 'bench_sales.md'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="a small self-contained run on SQLite")
    parser.add_argument("--scale", type=float, default=1.0, help="PostgreSQL: bench/dataset.py scale")
    parser.add_argument("--clients", type=int, default=10_000, help="SQLite only")
    parser.add_argument("--lines", type=int, default=300_000, help="SQLite only")
    parser.add_argument("--distributors", type=int, default=10, help="SQLite only")
    parser.add_argument("--file-rows", type=int, default=100_000 if PG else 50_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(9)
    print(f"keychannel sales benchmark · {date.today()} · {connection.vendor} · Python {platform.python_version()} · "
          f"{platform.machine()} · {os.cpu_count()} CPUs", flush=True)
    if PG:
        admin, counts = pg_setup(args)
        size = (f"scale {args.scale:g}: {counts['distributors']:,} distributors, {counts['clients']:,} clients, "
                f"{counts['sales_lines']:,} sales lines")
    else:
        call_command("migrate", verbosity=0)
        if SalesLine.objects.exists():
            sys.exit("the database already holds sales lines: run on an empty database")
        admin = sqlite_setup(args, rng)
        size = f"{args.distributors} distributors, {args.clients:,} clients, {args.lines:,} sales lines"
    line = ProductLine.objects.order_by("pk").first()
    results = {"import": bench_import(args, rng, admin, line), "segments": bench_segments(args)}
    imp, seg = results["import"], results["segments"]
    seg["ratio_incremental"] = imp["incremental_s"] / seg["unchanged_s"]
    print(f"issue 22.4 ratios: import vs raw {imp['method']} speed {imp['ratio']:.2f} (target ≥ 0.8); recompute from "
          f"empty vs one SQL aggregate {seg['ratio_from_empty']:.2f}× (target ≤ 1.5×); incremental recompute after "
          f"the {imp['rows']:,}-line import vs a full recompute {seg['ratio_incremental']:.3f}× (target ≤ 0.10)",
          flush=True)
    from django.contrib.auth import get_user_model

    users = [("admin", admin)]
    head = get_user_model().objects.filter(membership__role=Role.DIST_HEAD).order_by("username").first()
    if head is not None:
        users.append((f"distributor head {head.username}", head))
    results["endpoint"] = bench_endpoint(args, users)
    write_report(args, size, results)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""API and page benchmark on the issue-10 data set: every figure a ratio to a bare endpoint, in one run.

    python bench/bench_api.py [--scale 1.0] [--requests 100] [--warmup 5] [--workers 2]
    python bench/bench_api.py --sizes 0.1,0.33,1 [--requests 100] …   # the same at three sizes, one table

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
   to the bare ``GET /api/v1/me`` of the same run (token lookup, principal, JSON: the floor of every call);
6. the resident memory (RSS) of every gunicorn worker after the run.

Exits 1 if any response was a 5xx (or the connection failed). Results go to stdout and
``var/bench/bench_api.json``/``.md`` (machine, CPU count, load average, date, commit, data-set rows, the table).
Only 127.0.0.1 is ever targeted. The steps shared with the other HTTP benchmarks live in ``bench/runner.py``.

With ``--sizes``, the script runs once per scale on that scale's own kept cluster (``--keep-pattern``, default
``var/bench/pgdata-{scale}``, each built on first use), writes each run to ``var/bench/sizes-<scale>/``, then
prints one table (``var/bench/bench_api_sizes.json``/``.md``): every endpoint's × bare at each size and whether it
is flat, every size within ±30 % of the smallest size's figure (issue 22 part 5).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import api_sweep  # noqa: E402
import runner  # noqa: E402

ROOT = runner.ROOT
KEEP = runner.KEEP
_middle = runner.middle
PLAIN = "GET /bench/plain/ (plain Django view)"


# ---- what to measure -------------------------------------------------------------------------------------


def _deep_cursor(n_clients: int) -> str:
    """The cursor the admin's clients list (default sort) gives out 100 rows before its end: the same page as
    ``offset=n-100``, read after the cursor's (normalized_name, id) off the index instead of counting and skipping."""
    from django.apps import apps

    from keychannel.clients.selectors import client_sorted
    from keychannel.core import keyset

    ordered = client_sorted(apps.get_model("clients", "CorporateClient").objects.filter(archived_at__isnull=True),
                            "name")
    keys = keyset.keys_of(ordered)
    last_before = ordered[max(0, min(n_clients, ordered.count()) - 101)]
    return keyset.cursor_after(last_before, keys)


def plan(head_username: str, sweep: str = "with") -> list[tuple[str, str, str, str, dict | None]]:
    """(label, who, method, path, json body): who is admin/head (token) or admin-page/head-page (session)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    from keychannel.core.pagination import MAX_OFFSET

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
    newest_year = apps.get_model("sales", "ClientSegment").objects.order_by("-year").values_list("year", flat=True).first()
    own_opp = _middle(Opportunity.objects.filter(distributor=own))
    n_clients = Client_.objects.count()
    deep_cursor = _deep_cursor(n_clients)
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
        # The deepest offset the API accepts (core.pagination.MAX_OFFSET); deeper pages are read by cursor.
        ("GET /clients?offset=deep", "admin", "GET",
         f"/api/v1/clients?limit=50&offset={max(0, min(n_clients - 100, MAX_OFFSET - 50))}", None),
        ("GET /clients?cursor=deep", "admin", "GET",
         f"/api/v1/clients?limit=50&cursor={urllib.parse.quote(deep_cursor)}", None),
        ("GET /clients/{id}", "admin", "GET", f"/api/v1/clients/{client.pk}", None),
        ("GET /clients/{id}/stakeholders", "admin", "GET", f"/api/v1/clients/{client.pk}/stakeholders", None),
        ("POST /clients/duplicate-check", "admin", "POST", "/api/v1/clients/duplicate-check",
         {"legal_name": near, "tax_id": ""}),
        ("GET /opportunities?limit=50", "admin", "GET", "/api/v1/opportunities?limit=50", None),
        ("GET /opportunities?open", "admin", "GET", "/api/v1/opportunities?open=true&limit=50", None),
        ("GET /opportunities/{id}", "admin", "GET", f"/api/v1/opportunities/{opp.pk}", None),
        ("GET /forecast?by=distributor", "admin", "GET", "/api/v1/forecast?by=distributor", None),
        # the forecast's default grouping (and its page's default view): the network's months (deals/month_totals.py)
        ("GET /forecast?by=month", "admin", "GET", "/api/v1/forecast?by=month", None),
        # the other groupings: grouped from every deal (no roll-up keeps them)
        ("GET /forecast?by=territory", "admin", "GET", "/api/v1/forecast?by=territory", None),
        ("GET /forecast?by=product_line", "admin", "GET", "/api/v1/forecast?by=product_line", None),
        ("GET /registrations?limit=50", "admin", "GET", "/api/v1/registrations?limit=50", None),
        ("GET /sales-reports?limit=50", "admin", "GET", "/api/v1/sales-reports?limit=50", None),
        ("GET /sales-lines?limit=50", "admin", "GET", "/api/v1/sales-lines?limit=50", None),
        ("GET /segments?limit=50", "admin", "GET", "/api/v1/segments?limit=50", None),
        # The wave-14 sweep's slow endpoints outside the rows above (its labels, so its table and these agree).
        ("GET /audit?limit=50", "admin", "GET", "/api/v1/audit?limit=50", None),
        ("GET /stage-probabilities", "admin", "GET", "/api/v1/stage-probabilities", None),
        ("GET /organizations", "admin", "GET", "/api/v1/organizations", None),
        # The cockpit through the API: the panel list, and the panel whose build costs most per caller.
        ("GET /cockpit", "admin", "GET", "/api/v1/cockpit", None),
        ("GET /cockpit/program.network_goals", "admin", "GET", "/api/v1/cockpit/program.network_goals", None),
        ("head: GET /cockpit/program.my_goals", "head", "GET", "/api/v1/cockpit/program.my_goals", None),
        ("head: GET /clients?limit=50", "head", "GET", "/api/v1/clients?limit=50", None),
        ("head: GET /opportunities?open", "head", "GET", "/api/v1/opportunities?open=true&limit=50", None),
        ("head: GET /sales-lines?limit=50", "head", "GET", "/api/v1/sales-lines?limit=50", None),
        ("head: POST /clients/duplicate-check", "head", "POST", "/api/v1/clients/duplicate-check",
         {"legal_name": near, "tax_id": ""}),
        # the distributor scorecards (wave 14): a page of the network table, one card, the head's own card
        ("GET /scorecards", "admin", "GET", "/api/v1/scorecards", None),
        ("GET /scorecards?sort=-pipeline", "admin", "GET", "/api/v1/scorecards?sort=-pipeline", None),
        ("GET /scorecards/{id}", "admin", "GET", f"/api/v1/scorecards/{dist.pk}", None),
        ("head: GET /scorecards", "head", "GET", "/api/v1/scorecards", None),
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
            (f"{who}: page forecast", page, "GET", "/deals/forecast/", None),
            # a column's next cards, as its "Show more" button asks for them (HTMX)
            (f"{who}: page pipeline column more", f"{who}-htmx", "GET", "/deals/pipeline/discussion/more/?offset=10",
             None),
            (f"{who}: page segments", page, "GET", "/sales/segments/", None),
            (f"{who}: page scorecards", page, "GET", "/program/scorecards/", None),
            (f"{who}: page scorecard", page, "GET", f"/program/scorecards/{d.pk}/", None),
            # the charts the segments page loads after itself (as it asks for them: its newest year)
            (f"{who}: page segments charts", page, "GET", f"/sales/segments/charts/?year={newest_year}", None),
        ]
        if o is not None:
            rows.append((f"{who}: page opportunity detail", page, "GET", f"/deals/{o.pk}/", None))
    # Every other role's home page (cockpit): demo users, whose reach the data set grows with it.
    rows += [(f"{who}: page /", f"{who}-page", "GET", "/", None) for who in COCKPIT_USERS]
    rows += home_parts({"admin": "admin", "head": head_username, **{who: who for who in COCKPIT_USERS}})
    if sweep == "without":
        return rows
    swept, skipped = api_sweep.rows(rows, _middle)  # every other GET endpoint of the API (bench/api_sweep.py)
    if skipped:
        print(f"bench: not measured, no row to ask for: {', '.join(skipped)}", flush=True)
    # "only": the swept rows beside the bare endpoint and the plain view (the ratios' references)
    return rows[:2] + swept if sweep == "only" else rows + swept


def home_parts(users: dict[str, str]) -> list[tuple[str, str, str, str, None]]:
    """The home page is a shell (`<who>: page /`) that loads each lazy panel and its figures in their own HTMX
    request (core/cockpit.py): every part of every measured home is a row of its own (`<who>: home panel <key>`,
    `<who>: home figures`), asked as HTMX asks (``who-htmx``: the session with ``HX-Request``)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from keychannel.core.cockpit import registered_panels
    from keychannel.core.scoping import Principal

    rows = []
    for who, username in users.items():
        principal = Principal.for_user(get_user_model().objects.get(username=username))
        rows += [(f"{who}: home panel {panel.key}", f"{who}-htmx", "GET", reverse("core:home_panel", args=[panel.key]),
                  None) for panel in registered_panels() if panel.lazy and panel.allowed(principal)]
        rows.append((f"{who}: home figures", f"{who}-htmx", "GET", reverse("core:home_figures"), None))
    return rows


class HtmxClient(runner.Client):
    """A page session's requests as HTMX sends them (a home page's lazy parts): its cookies, ``HX-Request``."""

    def __init__(self, page: runner.Client):
        super().__init__(page.base)
        self.jar, self.opener = page.jar, page.opener

    def request(self, method, path, body=None, form=None, headers=None):
        return super().request(method, path, body=body, form=form, headers={**(headers or {}), "HX-Request": "true"})


# The other roles' cockpits: program manager, executive, channel manager, mentor, KAM, salesperson.
COCKPIT_USERS = ("program", "executive", "channel", "mentor", "kam", "d01-sales")


# ---- main ------------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of issue 10's data set (1.0 = 2,000 distributors, 200k clients, 1M "
                             "stakeholders, 300k opportunities, 10M sales lines); default 1.0")
    parser.add_argument("--sizes", default="",
                        help="several scales, e.g. 0.1,0.33,1: one run per scale on its own kept cluster "
                             "(--keep-pattern), then one table of each endpoint's × bare at every size")
    parser.add_argument("--keep-pattern", default="var/bench/pgdata-{scale}",
                        help="the kept cluster of each size with --sizes (default var/bench/pgdata-{scale})")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per endpoint (default 100)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up rounds (default 5)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-segments", action="store_true",
                        help="do not compute the client segments when the bench clients have none (by default "
                             "services.segments_refresh runs once over 2024-2025, timed, and is kept)")
    parser.add_argument("--head", default="d01-head", help="the distributor head whose pages are measured")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--sweep", choices=("with", "without", "only"), default="with",
                        help="the rows of every other GET endpoint (bench/api_sweep.py): with the hand-written rows "
                             "(default), without them, or only them. Some read whole tables (the coverage gaps, a "
                             "scorecard sorted by a figure) and evict the cluster's cache between the other rows' "
                             "requests: measured apart, the other rows compare with runs before the sweep existed")
    parser.add_argument("--only", default="",
                        help="measure only the endpoints whose label matches this regular expression (the bare "
                             "`/me` and the plain view are always measured), e.g. 'admin: page /$|segments'")
    args = parser.parse_args(argv)

    if args.sizes:
        rest = runner.strip_options(argv if argv is not None else sys.argv[1:], ("--sizes", "--keep-pattern",
                                                                                 "--scale", "--out"))
        return runner.run_sizes(__file__, "bench_api", runner.parse_sizes(args.sizes), rest,
                                keep_pattern=args.keep_pattern, out=Path(args.out), ratio_key="ratio",
                                ratio_label="median × the bare `GET /api/v1/me`")
    if (code := runner.rerun_on_cluster(__file__, argv)) is not None:
        return code
    data_dir = runner.bench_environment()
    started = time.monotonic()
    commit = runner.commit()  # the code gunicorn will serve: read now, other commits may land during the run
    runner.django_setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connections

    try:
        info, seed_s = runner.prepare(args.scale)
    except runner.PrepareError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    counts = {k: v for k, v in info["counts"].items() if k != "scale"}
    tokens = runner.api_tokens(["admin", args.head])

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
    # As autovacuum does on a live server: a kept cluster whose server ran only for the bench had its data (loaded
    # after the migrations' VACUUM) and the 396,475 segments written above with an empty visibility map
    # (relallvisible 0) and the segments with statistics of a 14-page table: every index-only scan read the heap, and
    # the segments page and charts measured 20× and 33× bare (wave 10). Quick once the tables are vacuumed.
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    segments = Segment.objects.count()
    chosen = plan(args.head, args.sweep)
    if args.only:
        # The first two rows are the bare endpoint and the plain view every ratio is taken against.
        chosen = chosen[:2] + [row for row in chosen[2:] if re.search(args.only, row[0])]
    connections.close_all()

    load_before = runner.load_average()
    try:
        with runner.Server(args.workers, tokens["admin"]) as server:
            clients = {"admin": runner.Client(server.base, tokens["admin"]),
                       "head": runner.Client(server.base, tokens[args.head]),
                       "admin-page": runner.Client(server.base), "head-page": runner.Client(server.base)}
            clients["admin-page"].login("admin", settings.DEMO_PASSWORD)
            clients["head-page"].login(args.head, settings.DEMO_PASSWORD)
            pages = {row[1].rsplit("-", 1)[0] for row in chosen if row[1].endswith(("-page", "-htmx"))}
            for who in pages - {"admin", "head"}:
                clients[f"{who}-page"] = runner.Client(server.base)
                clients[f"{who}-page"].login(who, settings.DEMO_PASSWORD)
            clients.update({f"{who}-htmx": HtmxClient(clients[f"{who}-page"]) for who in pages})
            print(f"bench: {len(chosen)} endpoints × ({args.warmup} warm-up + {args.requests}) requests, "
                  f"load average {load_before}", flush=True)
            measured = runner.measure(clients, chosen, requests=args.requests, warmup=args.warmup)
            rss, master_rss = server.worker_rss_mb()
    finally:
        runner.remove(data_dir)
    load_after = runner.load_average()

    timings, statuses, sizes = measured["timings"], measured["statuses"], measured["sizes"]
    bare = statistics.median(timings[chosen[0][0]])
    results = {}
    for label, who, method, path, _body in chosen:
        median = statistics.median(timings[label])
        results[label] = {"who": who, "method": method, "path": path, "median_ms": round(median, 2),
                          "p95_ms": round(runner.p95(timings[label]), 2),
                          "ratio": round(median / bare, 1), "statuses": sorted(statuses[label]),
                          "bytes": sizes[label]}
    summary = {
        "date": runner.now_utc(),
        "commit": commit,
        "machine": runner.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before, "load_average_after_warmup": measured["load_after_warmup"],
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
    runner.write_results(args.out, "bench_api", summary, text)
    print(text)
    print(f"bench: results in {args.out}/bench_api.json / .md ({summary['total_s']} s in all)")
    if bad := runner.server_errors(results):
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

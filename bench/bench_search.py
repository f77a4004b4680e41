#!/usr/bin/env python3
"""Global search benchmark on the issue-10 data set: search p95 against the bare ``GET /api/v1/me``, in one run.

    python bench/bench_search.py [--scale 1.0] [--requests 60] [--warmup 5] [--workers 2] [--baseline DIR]
    python bench/bench_search.py --sizes 0.1,0.33,1 …     # the same at three sizes, one table

On PostgreSQL only, with bench_api.py's steps (``bench/runner.py``): the demo network, ``dataset.ensure(scale)``
(200,000 clients, 1,000,000 stakeholders, 300,000 opportunities at scale 1), gunicorn on 127.0.0.1, then rounds
over the bare ``/me`` and the search (API and page; the admin, whole network, and a distributor head, one
distributor), interleaved round-robin so that every endpoint sees the same machine. Queries: a bench client's
name typed without its legal form and with a typo, a common stem, a stakeholder's name, a deal word, a word that
matches nothing. The figure of the issue: each search's p95 / the bare p95 (target ≤ 3 at scale 1). Results to
stdout and ``var/bench/bench_search.json``/``.md``.

``--baseline DIR``: an A/B in the same run. A second gunicorn serves the code of ``DIR`` (another checkout of
keychannel at a commit with the same migrations, e.g. ``git archive main | tar -x -C /tmp/kc-main``) on the same
database, and every endpoint is measured on both servers in the same rounds; each server's ratios are to its own
bare ``/me``.

``--sizes``: one run per scale on that scale's own kept cluster (``--keep-pattern``, default
``var/bench/pgdata-{scale}``) and one table of each endpoint's p95 × bare at every size
(``var/bench/bench_search_sizes.json``/``.md``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import runner  # noqa: E402

ROOT = runner.ROOT
TARGET = 3.0
BASELINE = "baseline"


def _typo(word: str) -> str:
    """Two neighbouring letters swapped in the middle of the word: "Carpatica" → "Carptaica"."""
    i = max(1, len(word) // 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:] if len(word) > 3 else word


def plan(head_username: str) -> list[tuple[str, str, str, str, None]]:
    """(label, who, method, path, body): who is admin/head (token) or admin-page/head-page (session). The label
    names the kind of query (the same at every size), the path carries the words picked from the data."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    Distributor = apps.get_model("network", "Distributor")
    Client_ = apps.get_model("clients", "CorporateClient")
    Stakeholder = apps.get_model("clients", "Stakeholder")
    Opportunity = apps.get_model("deals", "Opportunity")
    head = get_user_model().objects.get(username=head_username)
    own = Distributor.objects.get(organization_id=head.membership.organization_id)
    middle = runner.middle

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

    def search(q: str) -> str:
        return "/api/v1/search?" + urllib.parse.urlencode({"q": q})

    queries = {
        "client name with a typo": typed(client.legal_name),
        "common stem": client.normalized_name.split()[0][:6],
        "stakeholder name": person.full_name if person else "Popescu",
        "deal word": (deal.title.split()[0] if deal else "Compresoare"),
        "no match": "qwxzyv",
    }
    own_queries = {"own client name with a typo": typed(own_client.legal_name)} if own_client else {}
    rows = [("GET /me (bare)", "admin", "GET", "/api/v1/me", None)]
    rows += [(f"admin: search {label}", "admin", "GET", search(q), None) for label, q in queries.items()]
    rows += [(f"head: search {label}", "head", "GET", search(q), None) for label, q in {**own_queries, **queries}.items()]
    page = "/search/?" + urllib.parse.urlencode({"q": queries["client name with a typo"]})
    rows.append(("admin: page /search/ (client name with a typo)", "admin-page", "GET", page, None))
    rows.append(("head: page /search/ (client name with a typo)", "head-page", "GET", page, None))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of issue 10's data set (default 1.0)")
    parser.add_argument("--sizes", default="", help="several scales, e.g. 0.1,0.33,1 (one kept cluster each)")
    parser.add_argument("--keep-pattern", default="var/bench/pgdata-{scale}")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per endpoint (default 60)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--head", default="d01-head")
    parser.add_argument("--baseline", default="", help="another checkout whose code is measured beside this one")
    parser.add_argument("--explain", action="store_true",
                        help="also write EXPLAIN ANALYZE of each API search's one statement (as the admin and the "
                             "head) to bench_search_explain.txt and list the indexes each plan reads")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args(argv)

    if args.sizes:
        rest = runner.strip_options(argv if argv is not None else sys.argv[1:], ("--sizes", "--keep-pattern",
                                                                                 "--scale", "--out"))
        return runner.run_sizes(__file__, "bench_search", runner.parse_sizes(args.sizes), rest,
                                keep_pattern=args.keep_pattern, out=Path(args.out), ratio_key="p95_ratio",
                                ratio_label="p95 × the bare `GET /api/v1/me`'s p95")
    if (code := runner.rerun_on_cluster(__file__, argv)) is not None:
        return code
    baseline = Path(args.baseline).resolve() if args.baseline else None
    if baseline is not None and not (baseline / "keychannel" / "wsgi.py").exists():
        print(f"bench: {baseline} is not a keychannel checkout", file=sys.stderr)
        return 2
    data_dir = runner.bench_environment()
    started = time.monotonic()
    commit = runner.commit()
    runner.django_setup()
    from django.conf import settings
    from django.db import connections

    try:
        info, _seed_s = runner.prepare(args.scale)
    except runner.PrepareError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    counts = {k: v for k, v in info["counts"].items() if k != "scale"}
    tokens = runner.api_tokens(["admin", args.head])
    chosen = plan(args.head)
    plans = explain(chosen, args.head, Path(args.out)) if args.explain else {}
    connections.close_all()

    hits = {}

    def count_hits(row, status, content):
        if row[1].endswith(("admin", "head")) and "search" in row[3] and status == 200:
            hits[row[0]] = sum(len(g["hits"]) for g in json.loads(content)["groups"])

    load_before = runner.load_average()
    servers = [("", ROOT)] + ([(BASELINE, baseline)] if baseline else [])
    rows, clients = [], {}
    try:
        with runner.Server(args.workers, tokens["admin"]) as this, \
                (runner.Server(args.workers, tokens["admin"], root=baseline, env={"PYTHONDONTWRITEBYTECODE": "1"})
                 if baseline else _Nothing()) as other:
            for prefix, server in (("", this), (BASELINE, other)):
                if server is None:
                    continue
                tag = f"{prefix}:" if prefix else ""
                clients.update({f"{tag}admin": runner.Client(server.base, tokens["admin"]),
                                f"{tag}head": runner.Client(server.base, tokens[args.head]),
                                f"{tag}admin-page": runner.Client(server.base),
                                f"{tag}head-page": runner.Client(server.base)})
                clients[f"{tag}admin-page"].login("admin", settings.DEMO_PASSWORD)
                clients[f"{tag}head-page"].login(args.head, settings.DEMO_PASSWORD)
                rows += [(f"[{prefix}] {label}" if prefix else label, f"{tag}{who}", method, path, body)
                         for label, who, method, path, body in chosen]
            print(f"bench: {len(rows)} endpoints × ({args.warmup} warm-up + {args.requests}) requests, "
                  f"load average {load_before}", flush=True)
            measured = runner.measure(clients, rows, requests=args.requests, warmup=args.warmup,
                                      on_response=count_hits, progress_every=5)
    finally:
        runner.remove(data_dir)
    load_after = runner.load_average()

    timings, statuses = measured["timings"], measured["statuses"]
    results = {}
    for prefix, _root in servers:
        bare_label = f"[{prefix}] {chosen[0][0]}" if prefix else chosen[0][0]
        bare_median, bare_p95 = statistics.median(timings[bare_label]), runner.p95(timings[bare_label])
        for label, who, _method, path, _body in rows:
            if who.startswith(f"{BASELINE}:") != bool(prefix):
                continue
            median, p95 = statistics.median(timings[label]), runner.p95(timings[label])
            results[label] = {"who": who, "path": path, "query": urllib.parse.parse_qs(path.split("?")[-1]).get(
                "q", [""])[0], "median_ms": round(median, 2), "p95_ms": round(p95, 2),
                "median_ratio": round(median / bare_median, 2), "p95_ratio": round(p95 / bare_p95, 2),
                "statuses": sorted(statuses[label]), "hits": hits.get(label, 0)}
    api = {label: r for label, r in results.items() if r["who"].split(":")[-1] in ("admin", "head")
           and "/search" in r["path"]}
    worst = {prefix: max(r["p95_ratio"] for r in api.values() if r["who"].startswith(f"{BASELINE}:") == bool(prefix))
             for prefix, _root in servers}
    summary = {
        "date": runner.now_utc(), "commit": commit, "baseline": str(baseline) if baseline else None,
        "machine": runner.machine(),
        "load_average_before": load_before, "load_average_after_warmup": measured["load_after_warmup"],
        "load_average_after": load_after, "scale": args.scale, "rows": counts,
        "dataset_built_now": info["built"], "requests_per_endpoint": args.requests, "warmup_rounds": args.warmup,
        "workers": args.workers, "distributor_head": args.head, "endpoints": results,
        "worst_api_p95_ratio": worst[""], "target_met": worst[""] <= TARGET,
        "baseline_worst_api_p95_ratio": worst.get(BASELINE), "indexes_read": plans,
        "total_s": round(time.monotonic() - started),
    }
    text = render(summary)
    runner.write_results(args.out, "bench_search", summary, text)
    print(text)
    if bad := runner.server_errors(results):
        print(f"bench: server errors (or failed connections) on {bad}", file=sys.stderr)
        return 1
    return 0


def explain(chosen, head_username: str, out: Path) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of each API search's statement (``core.search.statement``), as the planner chooses on
    this data: the full plans to ``out/bench_search_explain.txt``; answers label → the indexes the plan reads."""
    import re

    from django.contrib.auth import get_user_model
    from django.db import connection

    from keychannel.core import search
    from keychannel.core.scoping import Principal

    User = get_user_model()
    principals = {"admin": Principal.for_user(User.objects.get(username="admin")),
                  "head": Principal.for_user(User.objects.get(username=head_username))}
    found, text = {}, []
    for label, who, _method, path, _body in chosen:
        if who not in principals or "/search" not in path:
            continue
        query = search.parse_query(urllib.parse.parse_qs(path.split("?")[1])["q"][0])
        branches = [branch for _key, branch in search.collect(principals[who], query)[1]]
        sql, params = search.statement(query, branches, search.DEFAULT_LIMIT)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
        found[label] = sorted(set(re.findall(r"(?:Index|Bitmap Index) (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)",
                                             "\n".join(lines))))
        text += [f"== {label}: {query.raw}", *lines, ""]
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_search_explain.txt").write_text("\n".join(text))
    for label, indexes in found.items():
        print(f"bench: {label}: reads {', '.join(indexes) or 'no index'}", flush=True)
    return found


class _Nothing:
    """The absent baseline server in the ``with`` statement."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def render(s: dict) -> str:
    rows = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in s["rows"].items())
    lines = [
        f"Global search benchmark, {s['date']}, commit `{s['commit']}`"
        + (f"; `[{BASELINE}]` rows: the code of {s['baseline']} on a second server, same database, same rounds"
           if s["baseline"] else "") + ".",
        "",
        f"Machine: {s['machine']}; gunicorn {s['workers']} sync workers, PostgreSQL (scripts/pgtest.py), DEBUG off. "
        f"Load average (1/5/15 min) before: {s['load_average_before']}, after warm-up: "
        f"{s['load_average_after_warmup']}, after: {s['load_average_after']}.",
        "",
        f"Data set: scale {s['scale']:g} of issue 10 ({rows}).",
        "",
        f"{s['requests_per_endpoint']} requests per endpoint after {s['warmup_rounds']} warm-up rounds, interleaved "
        f"round-robin; `admin` = whole network, `head` = {s['distributor_head']} (one distributor). "
        "× bare = this endpoint's figure / the same figure of `GET /api/v1/me` on the same server in the same run.",
        "",
        "| endpoint | query | hits | median ms | p95 ms | median × bare | p95 × bare | status |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, r in s["endpoints"].items():
        lines.append(f"| {label} | {r['query']} | {r['hits']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['median_ratio']} | {r['p95_ratio']} | {','.join(map(str, r['statuses']))} |")
    lines += ["", f"Worst API search p95 × bare: {s['worst_api_p95_ratio']} (target ≤ {TARGET:g}: "
                  f"{'met' if s['target_met'] else 'NOT met'} at scale {s['scale']:g})"
              + (f"; baseline: {s['baseline_worst_api_p95_ratio']}" if s["baseline"] else "") + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

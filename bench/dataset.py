"""The large benchmark data set of issue 10, built with set-based SQL on PostgreSQL.

    from dataset import ensure          # from a script in bench/ (sys.path[0] is bench/)
    info = ensure(scale=1.0)            # {"scale": 1.0, "built": True, "seconds": ..., "counts": {...}, ...}

``ensure(scale)`` expects the demo network to be seeded first (``keychannel demo --no-serve``: users, roles,
product lines, territories, stage settings come from it) and grows the current Django database to
``scale`` × :data:`FULL`:

- 2,000 distributors, each with its own ``Organization`` (kind ``distributor``), product lines in the
  agreement, a county as home territory and a channel manager;
- 200,000 corporate clients spread round-robin over every distributor (the demo ones too, so a demo
  distributor head sees a realistic book), 1.5 % direct; ``legal_name`` from Romanian-looking words, with
  ``normalized_name``/``name_key``/``name_key2`` exactly as ``CorporateClient.refresh_derived_fields`` would
  set them (checked on a sample after the load); status, industry, revenue band, ~5 % key accounts; the
  ``potential_annual_volume`` follows the client's 2025 purchases (most buy 30–95 % of it, ~4 % far below:
  2–10 %), clients without purchases get a potential from their revenue band;
- 1,000,000 stakeholders, 5 per bench client, with valid levels, buying roles, influence and attitude;
- 300,000 opportunities over the clients that have a distributor, every stage (lost ones with a reason,
  won/lost ones closed), probability from the stage settings, next steps (some missing or overdue), one
  product line each;
- 10,000,000 sales lines: one applied ``SalesReport`` per distributor and month over 2024-01..2025-12
  (unique ``file_hash`` per report, empty ``content``; where the demo already has an applied report for the
  month, its lines are appended to that report), lines over the distributor's own bench clients with a skewed
  share per client (a few clients buy most), monthly seasonality (August and January low, autumn high),
  growth from 2024 to 2025, quantities and amounts by product line; report totals match their lines.

Everything is ``INSERT … SELECT … FROM generate_series(…)``, deterministic: every pseudo-random choice is
``hashint8extended(series index or generated key, salt)``, so the same scale on the same freshly seeded demo
database gives the same rows on every run. Keys come from the tables' identity columns (nothing hard-coded). The audit-history tables (``*_historical*``, the
stage-change log) are NOT filled: these rows are load, not history. The sales-line indexes are dropped during
the load and re-created from their definitions; foreign-key triggers are skipped for the session
(``session_replication_role = replica``, the generated keys are valid by construction). ``ANALYZE`` at the end.

Reuse: the table ``bench_dataset(scale, built_at, seconds, counts)`` marks a built database; ``ensure`` with
the same scale on it is a no-op (returns the stored counts), a different scale is refused
(:class:`DatasetError`): start from an empty cluster (``rm -rf var/bench/pgdata``) or pass the same scale.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

from dataset_words import (  # bench/ is sys.path[0] for every script that imports dataset
    COMMON,
    FIRST,
    FORMS,
    INDUSTRIES,
    LAST,
    LEVELS,
    LOST_REASON_CODES,
    LOST_REASONS,
    NEXT_STEPS,
    ROLES,
    STEMS,
    SYLLABLES,
    TITLES,
    _arr,
    _pick,
    _stage_case,
    _u,
)

ROOT = Path(__file__).resolve().parent.parent
FULL = {"distributors": 2000, "clients": 200_000, "stakeholders": 1_000_000, "opportunities": 300_000,
        "sales_lines": 10_000_000}
STAKEHOLDERS_PER_CLIENT = 5
MONTHS = [(y, m) for y in (2024, 2025) for m in range(1, 13)]
# Monthly seasonality (mean 1.0) and the year's level (mean 1.0): 2025 sells 12 % more than 2024.
SEASON = [0.80, 0.85, 1.05, 1.10, 1.10, 1.05, 0.90, 0.75, 1.10, 1.15, 1.10, 1.05]
YEAR_LEVEL = {2024: 0.943, 2025: 1.057}
TABLES = {
    "organizations": "core_organization",
    "distributors": "network_distributor",
    "clients": "clients_corporateclient",
    "stakeholders": "clients_stakeholder",
    "opportunities": "deals_opportunity",
    "sales_reports": "sales_salesreport",
    "sales_lines": "sales_salesline",
}


class DatasetError(RuntimeError):
    """The database cannot be (re)used for the asked scale."""


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()




def targets(scale: float) -> dict:
    return {k: max(1, math.ceil(v * scale)) for k, v in FULL.items()}


def counts() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for label, table in TABLES.items():
            cur.execute(f"SELECT count(*) FROM {table}")
            out[label] = cur.fetchone()[0]
    return out


def _marker(cur):
    cur.execute("CREATE TABLE IF NOT EXISTS bench_dataset (scale double precision NOT NULL, "
                "built_at timestamptz NOT NULL DEFAULT now(), seconds double precision, counts jsonb)")
    cur.execute("SELECT scale, built_at, seconds, counts FROM bench_dataset ORDER BY built_at DESC LIMIT 1")
    return cur.fetchone()


def ensure(scale: float = 1.0, progress=print) -> dict:
    """Grow the current (PostgreSQL) database to ``scale`` × FULL once; later calls with the same scale reuse it.

    Returns ``{"scale", "built" (False when reused), "seconds" (the build's), "built_at", "counts", "timings"}``;
    ``counts`` has the row count of every table in :data:`TABLES` (plus ``"scale"`` for convenience).
    """
    _django()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise DatasetError("bench/dataset.py needs PostgreSQL (run it under scripts/pgtest.py run --keep DIR)")
    with connection.cursor() as cur:
        row = _marker(cur)
    if row is not None:
        built_scale, built_at, seconds, stored = row
        if abs(built_scale - scale) > 1e-9:
            raise DatasetError(
                f"this database holds the bench data set at scale {built_scale:g} (built {built_at:%Y-%m-%d %H:%M}); "
                f"refusing to build scale {scale:g} on top of it. Use --scale {built_scale:g}, or start from an "
                f"empty cluster (e.g. rm -rf var/bench/pgdata)."
            )
        if isinstance(stored, str):
            stored = json.loads(stored)
        now = counts()
        progress(f"dataset: reusing scale {scale:g} built {built_at:%Y-%m-%d %H:%M} in {seconds:.0f}s: {now}")
        return {"scale": scale, "built": False, "seconds": seconds, "built_at": built_at.isoformat(),
                "counts": {**now, "scale": scale}, "timings": (stored or {}).get("timings", {})}

    target = targets(scale)
    before = counts()
    if before["distributors"] == 0:
        raise DatasetError("the demo network is missing: run `keychannel demo --no-serve` first")
    if before["distributors"] > target["distributors"] // 2 and scale >= 0.05:
        raise DatasetError(f"{before['distributors']} distributors already and no bench_dataset marker: "
                           "this is not a freshly seeded demo database")
    timings: dict[str, float] = {}
    started = time.monotonic()

    def step(label, fn):
        t0 = time.monotonic()
        n = fn()
        timings[label] = round(time.monotonic() - t0, 1)
        progress(f"dataset: {label:<28} {n:>12,} rows {timings[label]:>7.1f}s")

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")  # no FK triggers: keys valid by construction
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute("SET LOCAL synchronous_commit = off")
        _setup(cur)
        step("distributors+organisations", lambda: _distributors(cur, target["distributors"] - before["distributors"]))
        step("distributor product lines", lambda: _distributor_lines(cur))
        step("clients", lambda: _clients(cur, target["clients"] - before["clients"]))
        step("stakeholders", lambda: _stakeholders(cur, target["stakeholders"] - before["stakeholders"]))
        step("opportunities", lambda: _opportunities(cur, target["opportunities"] - before["opportunities"]))
        step("opportunity product lines", lambda: _opportunity_lines(cur))
        step("pipeline roll-ups", _rollups)  # the deals went in by SQL: recount them (deals/rollups.py)
        step("sales reports", lambda: _reports(cur))
        dropped = _drop_indexes(cur, "sales_salesline")
        step("sales lines", lambda: _lines(cur, target["sales_lines"] - before["sales_lines"]))
        step("sales-line indexes", lambda: _create_indexes(cur, dropped))
        step("report totals", lambda: _report_totals(cur))
        step("sales roll-up", _sales_rollup)  # the lines went in by SQL: recount them (sales/rollups.py)
        step("client potentials", lambda: _potentials(cur))
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    timings["analyze"] = round(time.monotonic() - t0, 1)
    progress(f"dataset: {'ANALYZE':<28} {'':>12} {timings['analyze']:>7.1f}s")
    mismatches = _check_names()
    if mismatches:
        raise DatasetError(f"derived name fields differ from refresh_derived_fields() on {mismatches}")
    seconds = round(time.monotonic() - started, 1)
    now = counts()
    with connection.cursor() as cur:
        cur.execute("INSERT INTO bench_dataset (scale, seconds, counts) VALUES (%s, %s, %s)",
                    [scale, seconds, json.dumps({"counts": now, "timings": timings})])
    progress(f"dataset: scale {scale:g} built in {seconds:.0f}s: {now}")
    return {"scale": scale, "built": True, "seconds": seconds, "built_at": None, "counts": {**now, "scale": scale},
            "timings": timings}


# ---- the steps ---------------------------------------------------------------------------------------------


def _setup(cur):
    """Temporary lookups: the manufacturer's channel managers, counties, product lines with unit prices."""
    cur.execute("""
        CREATE TEMP TABLE bench_cm ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY m.user_id) - 1 AS k, m.user_id
        FROM core_membership m WHERE m.role = 'channel_manager'""")
    cur.execute("SELECT count(*) FROM bench_cm")
    if cur.fetchone()[0] == 0:
        cur.execute("INSERT INTO bench_cm SELECT 0, min(id) FROM auth_user WHERE is_superuser")
    cur.execute("""
        CREATE TEMP TABLE bench_county ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, name FROM network_territory WHERE level = 'county'""")
    cur.execute("SELECT count(*) FROM bench_county")
    if cur.fetchone()[0] == 0:
        cur.execute("INSERT INTO bench_county SELECT row_number() OVER (ORDER BY id) - 1, id, name "
                    "FROM network_territory")
    cur.execute("""
        CREATE TEMP TABLE bench_pl ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, name,
               (ARRAY[1850, 420, 2600, 960, 1400, 780, 95, 650])[1 + (row_number() OVER (ORDER BY id) - 1) % 8]::numeric
                 AS unit_price
        FROM network_productline""")
    cur.execute("SELECT id FROM auth_user WHERE is_superuser ORDER BY id LIMIT 1")
    row = cur.fetchone()
    cur.execute("CREATE TEMP TABLE bench_admin ON COMMIT DROP AS SELECT %s::int AS id", [row[0] if row else None])


def _distributors(cur, missing: int) -> int:
    if missing <= 0:
        return 0
    cur.execute("""
        CREATE TEMP TABLE bench_neworg ON COMMIT DROP AS
        WITH o AS (
            INSERT INTO core_organization (created_at, updated_at, name, kind, password_login)
            SELECT timestamptz '2023-01-01' + g * interval '7 hours', now(),
                   'Bench Distributor ' || lpad(g::text, 5, '0') || ' SRL', 'distributor', true
            FROM generate_series(1, %s) g
            RETURNING id, name)
        SELECT id, substring(name FROM 19 FOR 5)::int AS g FROM o""", [missing])
    cm = "(SELECT count(*) FROM bench_cm)"
    nc = "(SELECT count(*) FROM bench_county)"
    u = _u
    cur.execute(f"""
        INSERT INTO network_distributor (created_at, updated_at, code, legal_name, tax_id, city, address, phone, email,
            size_tier, annual_revenue, employees, contract_strength, stance, shares_goals, shares_methods,
            contract_start, active, channel_manager_id, organization_id, territory_id, kind, website, about)
        SELECT timestamptz '2023-01-01' + o.g * interval '7 hours', now(),
               'bx' || lpad(o.g::text, 5, '0'),
               'Bench Distributor ' || lpad(o.g::text, 5, '0') || ' SRL',
               'RO99' || lpad(o.g::text, 7, '0'),
               c.name, 'Str. Industriei ' || (1 + o.g % 180),
               '+40 21 ' || lpad((o.g * 7919 % 1000000)::text, 6, '0'),
               'office@bx' || lpad(o.g::text, 5, '0') || '.example.ro',
               CASE WHEN {u('o.g', 11)} < 0.15 THEN 'large' WHEN {u('o.g', 11)} < 0.55 THEN 'medium' ELSE 'small' END,
               round((2e6 + {u('o.g', 12)} * 4.8e8)::numeric, -3),
               (8 + floor({u('o.g', 13)} * 600))::int,
               CASE WHEN {u('o.g', 14)} < 0.4 THEN 'strong' ELSE 'weak' END,
               CASE WHEN {u('o.g', 15)} < 0.45 THEN 'active' WHEN {u('o.g', 15)} < 0.85 THEN 'cautious'
                    ELSE 'resistant' END,
               {_pick(_arr(['yes', 'yes', 'partly', 'partly', 'no']), 'o.g', 16)},
               {_pick(_arr(['yes', 'partly', 'partly', 'no']), 'o.g', 17)},
               date '2015-01-01' + (floor({u('o.g', 18)} * 3650))::int,
               {u('o.g', 19)} < 0.97,
               (SELECT user_id FROM bench_cm WHERE k = o.g % {cm}),
               o.id,
               c.id,
               'wholesaler', '', ''
        FROM bench_neworg o JOIN bench_county c ON c.k = floor({u('o.g', 10)} * {nc})::int
        ORDER BY o.g""")
    return cur.rowcount


def _distributor_lines(cur) -> int:
    cur.execute(f"""
        INSERT INTO network_distributor_product_lines (distributor_id, productline_id)
        SELECT d.id, p.id FROM network_distributor d CROSS JOIN bench_pl p
        WHERE d.code LIKE 'bx%' AND ({_u('d.id * 16 + p.k', 20)} < 0.6 OR p.k = d.id % (SELECT count(*) FROM bench_pl))
        ON CONFLICT DO NOTHING""")
    return cur.rowcount


def _bench_distributors(cur):
    """Every distributor (demo and bench), numbered, with the owner of its deals and its home territory."""
    cur.execute("""
        CREATE TEMP TABLE IF NOT EXISTS bench_dist ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY d.id) - 1 AS k, d.id, d.territory_id, t.name AS city,
               coalesce((SELECT min(m.user_id) FROM core_membership m
                         WHERE m.organization_id = d.organization_id AND m.role = 'dist_head'),
                        d.channel_manager_id, (SELECT id FROM bench_admin)) AS owner_id
        FROM network_distributor d JOIN network_territory t ON t.id = d.territory_id""")


def _clients(cur, missing: int) -> int:
    _bench_distributors(cur)
    if missing <= 0:
        return 0
    u = _u
    # Names: Stem [Common] Pseudoword Form, e.g. "Carpatica Impex Ramote SRL" -> "carpatica impex ramote".
    stem = _pick(_arr(STEMS), "g", 31)
    sy = _arr(SYLLABLES)
    pseudo = (f"({sy})[1 + floor({u('g', 32)} * {len(SYLLABLES)})::int] || "
              f"({sy})[1 + floor({u('g', 33)} * {len(SYLLABLES)})::int] || "
              f"({sy})[1 + floor({u('g', 34)} * {len(SYLLABLES)})::int]")
    common = f"CASE WHEN {u('g', 35)} < 0.4 THEN {_pick(_arr(COMMON), 'g', 36)} END"
    form = _pick(_arr(FORMS), "g", 37)
    nd = "(SELECT count(*) FROM bench_dist)"
    cur.execute(f"""
        CREATE TEMP TABLE bench_cname ON COMMIT DROP AS
        SELECT g, {stem} AS stem, {pseudo} AS pseudo, {common} AS common, {form} AS form
        FROM generate_series(1::bigint, %s) g""", [missing])
    cur.execute(f"""
        INSERT INTO clients_corporateclient (created_at, updated_at, legal_name, normalized_name, name_key, name_key2,
            tax_id, code, industry, employees, revenue_band, city, potential_annual_volume, status, is_key_account,
            why_chose_us, out_of_scope, out_of_scope_since, coverage_score, risk_flags, risk_flag_count, analysed_at,
            created_by_id, distributor_id, territory_id)
        SELECT timestamptz '2022-01-01' + n.g * interval '11 minutes', now(),
               concat_ws(' ', n.stem, n.common, initcap(n.pseudo), n.form),
               concat_ws(' ', lower(n.stem), lower(n.common), n.pseudo),
               left(lower(n.stem), 4), left(n.pseudo, 4),
               '7' || lpad(n.g::text, 9, '0'),
               'BX' || lpad(n.g::text, 7, '0'),
               {_pick(_arr(INDUSTRIES), 'n.g', 38)},
               (5 + floor(power({u('n.g', 39)}, 3) * 4000))::int,
               CASE WHEN {u('n.g', 40)} < 0.45 THEN 'lt10m' WHEN {u('n.g', 40)} < 0.75 THEN '10m_50m'
                    WHEN {u('n.g', 40)} < 0.92 THEN '50m_250m' WHEN {u('n.g', 40)} < 0.98 THEN '250m_1b'
                    ELSE 'gt1b' END,
               CASE WHEN d.id IS NULL THEN 'Bucuresti' ELSE d.city END,
               0,
               CASE WHEN {u('n.g', 41)} < 0.70 THEN 'active' WHEN {u('n.g', 41)} < 0.85 THEN 'prospect'
                    WHEN {u('n.g', 41)} < 0.95 THEN 'dormant' ELSE 'lost' END,
               {u('n.g', 42)} < 0.05,
               '', false, NULL, NULL, '[]'::jsonb, 0, NULL, NULL,
               d.id, CASE WHEN d.id IS NULL THEN NULL ELSE d.territory_id END
        FROM bench_cname n
        LEFT JOIN bench_dist d ON {u('n.g', 43)} >= 0.015 AND d.k = n.g % {nd}
        ORDER BY n.g""")
    return cur.rowcount


def _bench_clients(cur):
    cur.execute("""
        CREATE TEMP TABLE IF NOT EXISTS bench_client ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, distributor_id,
               row_number() OVER (PARTITION BY distributor_id ORDER BY id) - 1 AS dk
        FROM clients_corporateclient WHERE code LIKE 'BX%'""")
    cur.execute("CREATE INDEX ON bench_client (k)")
    cur.execute("CREATE INDEX ON bench_client (distributor_id, dk)")
    cur.execute("ANALYZE bench_client")


def _stakeholders(cur, missing: int) -> int:
    _bench_clients(cur)
    if missing <= 0:
        return 0
    u = _u
    cur.execute("SELECT count(*) FROM bench_client")
    nclients = cur.fetchone()[0]
    first, last = _pick(_arr(FIRST), "g", 51), _pick(_arr(LAST), "g", 52)
    level = _pick(_arr(LEVELS), "g", 53)
    titles = "CASE s.level " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TITLES.items()) + " END"
    role1, role2 = _pick(_arr(ROLES), "s.g", 54), _pick(_arr(ROLES), "s.g", 55)
    cur.execute(f"""
        INSERT INTO clients_stakeholder (created_at, updated_at, full_name, job_title, level, buying_roles, influence,
            attitude, personal_interests, company_interests, is_external, external_organization, email, phone,
            last_contact_on, client_id, reports_to_id, version)
        SELECT timestamptz '2023-01-01' + s.g * interval '90 seconds', now(),
               s.first || ' ' || s.last, {titles}, s.level,
               CASE WHEN {u('s.g', 56)} < 0.55 THEN jsonb_build_array({role1})
                    WHEN {role1} = {role2} THEN jsonb_build_array({role1})
                    ELSE jsonb_build_array({role1}, {role2}) END,
               (1 + floor({u('s.g', 57)} * 5))::int,
               (floor({u('s.g', 58)} * 5) - 2)::int,
               '', '', {u('s.g', 59)} < 0.03, CASE WHEN {u('s.g', 59)} < 0.03 THEN 'Consulting partner' ELSE '' END,
               lower(s.first) || '.' || lower(s.last) || '@client' || c.id || '.example.ro',
               '+40 7' || lpad((s.g * 104729 %% 100000000)::text, 8, '0'),
               CASE WHEN {u('s.g', 60)} < 0.8 THEN date '2026-11-30' - floor({u('s.g', 61)} * 720)::int END,
               c.id, NULL, 1
        FROM (SELECT g, {first} AS first, {last} AS last, {level} AS level FROM generate_series(0::bigint, %s - 1) g) s
        JOIN bench_client c ON c.k = s.g %% %s
        ORDER BY c.id, s.g""", [missing, nclients])
    return cur.rowcount


def _opportunities(cur, missing: int) -> int:
    if missing <= 0:
        return 0
    u = _u
    cur.execute("CREATE TEMP TABLE bench_dealclient ON COMMIT DROP AS "
                "SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, distributor_id FROM bench_client "
                "WHERE distributor_id IS NOT NULL")
    cur.execute("CREATE INDEX ON bench_dealclient (k)")
    cur.execute("SELECT count(*) FROM bench_dealclient")
    n = cur.fetchone()[0]
    stage = _stage_case(u("g", 71))
    pl = "(SELECT count(*) FROM bench_pl)"
    cur.execute(f"""
        CREATE TEMP TABLE bench_opp ON COMMIT DROP AS
        SELECT g, {stage} AS stage, floor(power({u('g', 72)}, 1.3) * %s)::bigint AS ck,
               timestamptz '2024-01-01' + floor({u('g', 73)} * 1050 * 24) * interval '1 hour' AS created
        FROM generate_series(0::bigint, %s - 1) g""", [n, missing])
    cur.execute(f"""
        INSERT INTO deals_opportunity (created_at, updated_at, title, value, volume, currency, stage, probability,
            stage_entered_at, lost_reason_code, lost_reason, expected_close_on, next_step, next_step_on, origin, source_reference,
            closed_on, client_id, contract_id, created_by_id, distributor_id, kam_id, mentor_id, owner_id,
            gate_override_reason, gate_override_rules, test_override_reason)
        SELECT o.created, o.created + floor({u('o.g', 74)} * 60) * interval '1 day',
               p.name || ' — ' || c.id,
               round((5000 + power({u('o.g', 75)}, 2) * 2.5e6)::numeric, -2),
               round((10 + {u('o.g', 76)} * 5000)::numeric, 0),
               'RON', o.stage, coalesce(ss.probability, 10),
               o.created + floor({u('o.g', 77)} * 30) * interval '1 day',
               CASE WHEN o.stage = 'lost' THEN {_pick(_arr(LOST_REASON_CODES), 'o.g', 85)} ELSE '' END,
               CASE WHEN o.stage = 'lost' THEN {_pick(_arr(LOST_REASONS), 'o.g', 78)} ELSE '' END,
               (o.created + (30 + floor({u('o.g', 79)} * 330)) * interval '1 day')::date,
               CASE WHEN o.stage IN ('won', 'lost') OR {u('o.g', 80)} < 0.12 THEN ''
                    ELSE {_pick(_arr(NEXT_STEPS), 'o.g', 81)} END,
               CASE WHEN o.stage IN ('won', 'lost') OR {u('o.g', 80)} < 0.12 THEN NULL
                    ELSE date '2026-11-01' + floor({u('o.g', 82)} * 90)::int END,
               CASE WHEN {u('o.g', 83)} < 0.15 THEN 'registration' WHEN {u('o.g', 83)} < 0.22 THEN 'lead'
                    ELSE 'manual' END,
               '',
               CASE WHEN o.stage IN ('won', 'lost') THEN (o.created + (20 + floor({u('o.g', 84)} * 300))
                    * interval '1 day')::date END,
               c.id, NULL, d.owner_id, c.distributor_id, NULL, NULL, d.owner_id, '', '', ''
        FROM bench_opp o
        JOIN bench_dealclient c ON c.k = o.ck
        JOIN bench_dist d ON d.id = c.distributor_id
        JOIN bench_pl p ON p.k = o.g % {pl}
        LEFT JOIN deals_stagesetting ss ON ss.stage = o.stage
        ORDER BY o.created, o.g""")
    return cur.rowcount


def _rollups() -> int:
    from keychannel.deals.rollups import rebuild

    return rebuild()


def _sales_rollup() -> int:
    from keychannel.sales.rollups import rebuild

    return rebuild()


def _opportunity_lines(cur) -> int:
    cur.execute("""
        INSERT INTO deals_opportunity_product_lines (opportunity_id, productline_id)
        SELECT o.id, p.id FROM deals_opportunity o
        JOIN bench_pl p ON p.name = split_part(o.title, ' — ', 1)
        WHERE o.owner_id IS NOT NULL AND o.title LIKE '% — %'
          AND o.client_id IN (SELECT id FROM bench_client)
        ON CONFLICT DO NOTHING""")
    return cur.rowcount


def _reports(cur) -> int:
    """One applied report per distributor and month (a demo one that exists for the month is kept)."""
    months = ", ".join(f"(date '{y}-{m:02d}-01', {SEASON[m - 1] * YEAR_LEVEL[y]:.4f})" for y, m in MONTHS)
    cur.execute(f"CREATE TEMP TABLE bench_month ON COMMIT DROP AS SELECT * FROM (VALUES {months}) v(period, factor)")
    cur.execute("""
        INSERT INTO sales_salesreport (created_at, updated_at, period, file_name, file_hash, content, file_format,
            encoding, delimiter, source, status, headers, mapping, row_count, line_count, error_count, errors,
            unmatched_clients, unknown_products, total_amount, total_quantity, message, applied_at, distributor_id,
            duplicate_of_id, mapping_template_id, supersedes_id, uploaded_by_id)
        SELECT m.period + interval '1 month 3 days', m.period + interval '1 month 3 days', m.period,
               'bench_' || d.code || '_' || to_char(m.period, 'YYYY-MM') || '.csv',
               encode(sha256(convert_to('bench ' || d.id || ' ' || m.period, 'UTF8')), 'hex'),
               ''::bytea, 'csv', 'utf-8', ';', 'command', 'applied', '[]'::jsonb, '{}'::jsonb, 0, 0, 0, '[]'::jsonb,
               '[]'::jsonb, '[]'::jsonb, 0, 0, '', m.period + interval '1 month 3 days', d.id, NULL, NULL, NULL, NULL
        FROM network_distributor d CROSS JOIN bench_month m
        WHERE NOT EXISTS (SELECT 1 FROM sales_salesreport r
                          WHERE r.distributor_id = d.id AND r.period = m.period AND r.status = 'applied')
        ORDER BY m.period, d.id""")
    return cur.rowcount


def _drop_indexes(cur, table: str) -> list[tuple[str, str]]:
    cur.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = %s AND i.schemaname = current_schema()
          AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)""",
                [table, table])
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(f'DROP INDEX "{name}"')
    return found


def _create_indexes(cur, indexes) -> int:
    for _name, definition in indexes:
        cur.execute(definition)
    return len(indexes)


def _lines(cur, missing: int) -> int:
    """Lines for every (distributor, month) report, proportional to the distributor's bench clients × season."""
    if missing <= 0:
        return 0
    u = _u
    cur.execute("""
        CREATE TEMP TABLE bench_rep ON COMMIT DROP AS
        SELECT r.id, r.distributor_id, r.period, m.factor, n.nclients,
               coalesce((SELECT max(l.row) FROM sales_salesline l WHERE l.report_id = r.id), 0) AS row0
        FROM sales_salesreport r
        JOIN bench_month m ON m.period = r.period
        JOIN (SELECT distributor_id, count(*) AS nclients FROM bench_client
              WHERE distributor_id IS NOT NULL GROUP BY distributor_id) n ON n.distributor_id = r.distributor_id
        WHERE r.status = 'applied'""")
    cur.execute("SELECT coalesce(sum(factor * nclients), 0) FROM bench_rep")
    weight = float(cur.fetchone()[0])
    if weight == 0:
        return 0
    per = missing / weight  # lines per client-month at factor 1.0
    cur.execute("ALTER TABLE bench_rep ADD COLUMN nlines int")
    cur.execute("UPDATE bench_rep SET nlines = ceil(factor * nclients * %s)::int", [per])
    cur.execute("SELECT coalesce(sum(nlines), 0) FROM bench_rep")
    # Client within the distributor: rank power-law (the first clients buy most), hashed per (report, line).
    ix = "(r.id * 100000 + s)"
    cur.execute(f"""
        INSERT INTO sales_salesline (date, quantity, amount, currency, invoice, row, client_id, distributor_id,
                                     product_line_id, report_id)
        SELECT r.period + floor({u(ix, 91)} * extract(day FROM r.period + interval '1 month - 1 day'))::int,
               q.qty,
               round((q.qty * p.unit_price * (0.85 + {u(ix, 92)} * 0.3))::numeric, 2),
               'RON',
               'F' || to_char(r.period, 'YYMM') || '-' || lpad((r.distributor_id % 10000)::text, 4, '0') || '-'
                   || lpad((s / 3)::text, 5, '0'),
               r.row0 + s, c.id, r.distributor_id, p.id, r.id
        FROM bench_rep r
        CROSS JOIN LATERAL generate_series(1, r.nlines) s
        CROSS JOIN LATERAL (SELECT round((1 + power({u(ix, 93)}, 3) * 60)::numeric, 0) AS qty) q
        JOIN bench_client c ON c.distributor_id = r.distributor_id
             AND c.dk = floor(power({u(ix, 94)}, 2.2) * r.nclients)::bigint
        JOIN bench_pl p ON p.k = floor(power({u(ix, 95)}, 1.5) * (SELECT count(*) FROM bench_pl))::bigint
        ORDER BY r.id, s""")
    return cur.rowcount


def _report_totals(cur) -> int:
    cur.execute("""
        UPDATE sales_salesreport r SET row_count = t.n, line_count = t.n, total_amount = t.amount,
               total_quantity = t.qty
        FROM (SELECT report_id, count(*) AS n, sum(amount) AS amount, sum(quantity) AS qty FROM sales_salesline
              WHERE report_id IN (SELECT id FROM bench_rep) GROUP BY report_id) t
        WHERE r.id = t.report_id""")
    return cur.rowcount


def _potentials(cur) -> int:
    """Potential = 2025 purchases / share of wallet (30–95 %; ~4 % of clients far below it: 2–10 %)."""
    u = _u
    cur.execute(f"""
        UPDATE clients_corporateclient c SET potential_annual_volume = round(
            CASE WHEN v.volume IS NULL THEN
                     CASE c.revenue_band WHEN 'lt10m' THEN 40000 WHEN '10m_50m' THEN 150000 WHEN '50m_250m' THEN 500000
                          WHEN '250m_1b' THEN 1500000 ELSE 4000000 END * (0.5 + {u('c.id', 101)})
                 WHEN {u('c.id', 102)} < 0.04 THEN v.volume / (0.02 + {u('c.id', 103)} * 0.08)
                 ELSE v.volume / (0.30 + {u('c.id', 104)} * 0.65) END::numeric, -2)
        FROM bench_client b
        LEFT JOIN (SELECT client_id, sum(amount) AS volume FROM sales_salesline
                   WHERE date >= date '2025-01-01' AND date < date '2026-01-01' GROUP BY client_id) v
               ON v.client_id = b.id
        WHERE c.id = b.id""")
    return cur.rowcount


def _check_names(sample: int = 2000) -> int:
    """How many of a sample of bench clients have derived name fields other than the model would compute."""
    from django.apps import apps

    Client = apps.get_model("clients", "CorporateClient")
    bad = 0
    for client in Client.objects.filter(code__startswith="BX").order_by("?")[:sample]:
        stored = (client.normalized_name, client.name_key, client.name_key2, client.tax_id)
        client.refresh_derived_fields()
        if stored != (client.normalized_name, client.name_key, client.name_key2, client.tax_id):
            bad += 1
    return bad


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Build (or reuse) the bench data set in KEYCHANNEL_DATABASE_URL.")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    try:
        info = ensure(args.scale, progress=lambda m: print(m, flush=True))
    except DatasetError as exc:
        print(f"dataset: {exc}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(info, default=str, indent=2))

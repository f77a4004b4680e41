"""The segmentation recompute, set-based: the lines are read once, in the database, whatever their number.

Everything happens in SQL inside the caller's transaction, in temporary tables of this connection:

1. ``seg_scope`` — one row per (distributor, year) to recompute and per previous year it compares with, with
   the year's bounds, its last sale (``as_of``, one index probe per row) and, for a previous year, the cut-off
   date of "the same months last year";
2. ``seg_agg`` — ONE aggregate over the lines of those distributors and years, grouped by distributor, client
   and year (the same shape as a hand-written ``GROUP BY``; months are collected as a bit mask so the months
   a distributor reported fall out of it without another pass), plus ``seg_after``: what a previous year sold
   after the cut-off, read by index ranges (nothing for a complete year);
3. ``seg_targets`` — the distributor-years that get segments, with months reported and total volume;
   ``seg_new`` — the segments as they should be: ABC by a running sum, share of potential, trend, recency,
   NPS of the latest survey answer, small batches and the label;
4. one upsert that writes only rows whose values changed, a delete of segments that no longer have sales,
   and one ``INSERT … SELECT`` into the audit history for every written or deleted segment (on PostgreSQL the
   upsert feeds the history directly, ``WITH written AS (INSERT … RETURNING *)``).

A recompute of a few distributors (an import's: ``FEW_DISTRIBUTORS``) reads the lines and the segments of those
distributors only, through their index ranges: its cost follows the distributor-years it touches. The unit is
the distributor-year, not the client: ABC classes, the months covered and the "as of" date of every client of
that distributor-year move with any one client's sales.

The rules are the ones documented in docs/sales.md (section "Segments"); the thresholds live in services.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .choices import AbcClass, NpsClass, SegmentLabel
from .models import ClientSegment, SalesLine, SurveyResponse

LINES = SalesLine._meta.db_table
SEGMENTS = ClientSegment._meta.db_table
RESPONSES = SurveyResponse._meta.db_table
HISTORY = ClientSegment.history.model._meta.db_table
CLIENTS = ClientSegment._meta.get_field("client").related_model._meta.db_table
DISTRIBUTORS = ClientSegment._meta.get_field("distributor").related_model._meta.db_table

# The segment's computed columns, in the order seg_new holds them.
VALUE_COLUMNS = ["volume", "quantity", "previous_volume", "trend", "months_active", "months_covered",
                 "last_purchase", "recency_days", "share_of_potential", "small_batches", "abc_class", "nps_class",
                 "recommend", "label"]
KEY_COLUMNS = ["distributor_id", "client_id", "year"]
WORK_MEM = "64MB"
FEW_DISTRIBUTORS = 50  # up to this many, the lines are read through the (distributor, date) index


def _dialect() -> dict:
    if connection.vendor == "postgresql":
        # The month mask is a BIT_OR: a plain aggregate, so the GROUP BY may hash or sort in parallel workers
        # (SUM(DISTINCT …) forces one serial sort; see _sorted_aggregate). SQLite has no BIT_OR: it sums the
        # distinct month bits.
        # date_part (a float, exact for a year or a month) rather than EXTRACT, which since PostgreSQL 14 builds a
        # numeric for every line, twice a line here: 0.1-0.25 s of backend CPU of the 1M-line aggregate at scale 0.1.
        return {"month": "date_part('month', l.date)::int", "year": "date_part('year', l.date)::int",
                "mask": "BIT_OR(1 << {m})", "covered": "bit_count(BIT_OR(a.months_mask)::bit(13))",
                "count_bits": "bit_count({mask}::bit(13))",
                "cutoff": "(date_trunc('month', {d}) - interval '11 months' - interval '1 day')::date", "days": "({a} - {b})", "distinct": "IS DISTINCT FROM",
                "true": "TRUE", "false": "FALSE", "temp": "CREATE TEMP TABLE",
                # Keeps a subquery from being merged into the one above it: merged, each of its computed columns is
                # computed again wherever it is used (a segment's share of potential, 7 times a row in the label and
                # the small-batch flag). Computed once: 0.3 s less CPU at full size.
                "fence": " OFFSET 0"}
    return {"month": "CAST(strftime('%%m', l.date) AS integer)", "year": "CAST(strftime('%%Y', l.date) AS integer)",
            "mask": "SUM(DISTINCT (1 << {m}))",
            "covered": " + ".join(f"MAX((a.months_mask / {1 << m}) %% 2)" for m in range(1, 13)),
            "count_bits": _bits("{mask}"),
            "cutoff": "date({d}, 'start of month', '-11 months', '-1 day')",
            "days": "CAST(julianday({a}) - julianday({b}) AS integer)", "distinct": "IS NOT",
            "true": "1", "false": "0", "temp": "CREATE TEMP TABLE", "fence": ""}


def _bits(mask: str) -> str:
    """The number of months set in a 12-bit month mask (bit m = month m)."""
    return "(" + " + ".join(f"(({mask} / {1 << m}) %% 2)" for m in range(1, 13)) + ")"


TEMP_TABLES = ("seg_gone", "seg_new", "seg_targets", "seg_after", "seg_agg", "seg_scope")


def _drop_temp(cursor) -> None:
    if connection.vendor == "postgresql":  # one statement (an import's recompute is a few milliseconds of them)
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}")
        return
    for table in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _hash_joins(cursor, only: bool) -> None:
    """PostgreSQL: the big statement joins by hashing only (see seg_targets in recompute), or as usual again."""
    value = "off" if only else "on"
    cursor.execute(f"SELECT set_config('enable_nestloop', '{value}', true), "
                   f"set_config('enable_mergejoin', '{value}', true)")


def _sorted_aggregate(cursor, on: bool) -> None:
    """PostgreSQL, the network-wide line aggregate: group the lines by sorting them (in parallel workers), or plan as
    usual again.

    Hashing keeps a state per group for each numeric SUM (about 850 bytes a group): at full size (10M lines, 400k
    groups, every worker seeing nearly every group) the partial hash aggregates spilled 110 MB each to disk and
    sorted their output again before the final merge. Sorted groups keep one state alive at a time: 17 % less CPU
    for the whole cluster (9.2 s against 11.1 s, both workers included) and a shorter wall time for the statement.
    """
    cursor.execute(f"SELECT set_config('enable_hashagg', '{'off' if on else 'on'}', true)")


def _claim_empty_table(cursor) -> bool:
    """PostgreSQL, a network-wide recompute: is the segment table empty (a first recompute, a rebuild)?

    When it is, it is locked until the transaction ends (ACCESS EXCLUSIVE: its indexes are dropped and rebuilt;
    readers of an empty table wait for the full one, a second recompute then finds it full and takes the usual
    path). A table with rows is never locked: its emptiness is checked first without a lock.
    """
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {SEGMENTS})")
    if cursor.fetchone()[0]:
        return False
    cursor.execute(f"LOCK TABLE {SEGMENTS} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {SEGMENTS})")
    return not cursor.fetchone()[0]


@contextmanager
def _secondary_indexes_rebuilt(cursor):
    """Drop the segment table's indexes but its primary key, and create them again, as they were, after the block.

    Their definitions are read from the catalogue (``pg_get_indexdef``, ``pg_get_constraintdef``), so the same
    indexes come back whatever the migrations made them. The unique key (distributor, client, year) goes too and
    comes back as the same constraint: the from-empty insert has no conflict to look up (its keys are a GROUP BY's,
    and the table is locked), a sorted build after it costs less than 40k probes into it (scale 0.1), and a
    duplicate would still fail the transaction when the constraint is added again.
    """
    cursor.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                   "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                   "AND NOT i.indisprimary AND NOT i.indisunique ORDER BY c.relname", [SEGMENTS])
    indexes = cursor.fetchall()
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype = 'u' ORDER BY conname", [SEGMENTS])
    constraints = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {SEGMENTS} DROP CONSTRAINT "{name}"')
    yield
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {SEGMENTS} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        cursor.execute(definition)


def recompute(pairs: dict[int, set[int]], *, small_batch_share, strategic_share, at_risk_trend, dormant_days) -> int:
    """Recompute the segments of ``{distributor_id: {year, …}}``; returns how many segments were written."""
    pairs = {d: set(years) for d, years in pairs.items() if years}
    if not pairs:
        return 0
    ops = connection.ops
    sql = _dialect()
    now = timezone.now()
    stamp = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        _drop_temp(cursor)
        if connection.vendor == "postgresql":
            # A batch job: let its sorts (the aggregate's, the ranking's) run in memory. Until the transaction ends.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(f"{sql['temp']} seg_scope (distributor_id bigint NOT NULL, year integer NOT NULL, "
                       f"target integer NOT NULL, year_start date NOT NULL, year_end date NOT NULL, as_of date, "
                       f"next_cutoff date)")
        rows = []
        for distributor_id, years in pairs.items():
            for year in years | {y - 1 for y in years}:
                rows.append((distributor_id, year, 1 if year in years else 0,
                             ops.adapt_datefield_value(date(year, 1, 1)), ops.adapt_datefield_value(date(year, 12, 31))))
        cursor.executemany("INSERT INTO seg_scope (distributor_id, year, target, year_start, year_end) "
                           "VALUES (%s, %s, %s, %s, %s)", rows)
        # The last sale of each year: an index probe on (distributor, date) per row, not a scan.
        cursor.execute(f"UPDATE seg_scope SET as_of = (SELECT MAX(l.date) FROM {LINES} l WHERE "
                       f"l.distributor_id = seg_scope.distributor_id AND l.date >= seg_scope.year_start "
                       f"AND l.date <= seg_scope.year_end) WHERE target = 1")
        # "The same months last year" end on the last day of as_of's month, a year earlier.
        cutoff = sql["cutoff"].format(d="n.as_of")
        if connection.vendor == "postgresql":
            cursor.execute(f"UPDATE seg_scope p SET next_cutoff = {cutoff} FROM seg_scope n WHERE n.target = 1 "
                           f"AND n.as_of IS NOT NULL AND n.distributor_id = p.distributor_id AND n.year = p.year + 1")
            cursor.execute("ANALYZE seg_scope")
        else:
            cursor.execute("CREATE INDEX seg_scope_key ON seg_scope (distributor_id, year)")
            cursor.execute(f"UPDATE seg_scope SET next_cutoff = (SELECT {cutoff} FROM seg_scope n WHERE n.target = 1 "
                           f"AND n.as_of IS NOT NULL AND n.distributor_id = seg_scope.distributor_id "
                           f"AND n.year = seg_scope.year + 1)")

        # The one pass over the lines: the same GROUP BY a hand-written aggregate would do. A few distributors
        # (an import) are read through the (distributor, date) index; many are read in one scan.
        all_years = [y for years in pairs.values() for y in years]
        bounds = [ops.adapt_datefield_value(date(min(all_years) - 1, 1, 1)),
                  ops.adapt_datefield_value(date(max(all_years), 12, 31))]
        only = ""
        # An import's recompute (a few distributors): every statement below reads and writes through the
        # distributor's index ranges only, so its cost follows the distributor-years it touches, not the network.
        few = len(pairs) <= FEW_DISTRIBUTORS
        mine = f"s.distributor_id IN ({', '.join(str(int(d)) for d in pairs)}) AND " if few else ""
        if few:
            only = f"AND l.distributor_id IN ({', '.join(['%s'] * len(pairs))}) "
            bounds += list(pairs)
        elif connection.vendor == "postgresql":
            # A big recompute joins the whole segment table: plan it on today's row count, not on the one
            # autovacuum saw last (right after a first recompute it would still say "empty").
            cursor.execute(f"ANALYZE {SEGMENTS}")
            _sorted_aggregate(cursor, True)
        cursor.execute(
            f"{sql['temp']} seg_agg AS "
            f"SELECT l.distributor_id AS distributor_id, l.client_id AS client_id, {sql['year']} AS year, "
            f"SUM(l.amount) AS volume, SUM(l.quantity) AS quantity, MAX(l.date) AS last_date, "
            f"{sql['mask'].format(m=sql['month'])} AS months_mask "
            f"FROM {LINES} l WHERE l.date >= %s AND l.date <= %s {only}"
            f"GROUP BY l.distributor_id, l.client_id, {sql['year']}", bounds,
        )
        if not few and connection.vendor == "postgresql":
            _sorted_aggregate(cursor, False)
        # "The same months last year": what a previous year sold after the cut-off, read by index ranges (only
        # the months after the last one reported this year, none at all for a complete year).
        if connection.vendor == "postgresql":
            # Summed per scope row in a LATERAL subquery (an aggregate: never flattened into a join), so the plan is
            # a loop of (distributor, date) index ranges whatever the estimates. As a plain join the planner guessed
            # a third of seg_scope for the cross-column ``next_cutoff < year_end`` (24 rows of 800 at scale 0.1)
            # and hashed a scan of every line (0.5 s of a network recompute). A scope row is one distributor-year.
            cursor.execute(
                f"{sql['temp']} seg_after AS "
                f"SELECT s.distributor_id AS distributor_id, a.client_id AS client_id, s.year AS year, "
                f"a.volume AS volume FROM seg_scope s CROSS JOIN LATERAL (SELECT l.client_id, SUM(l.amount) AS volume "
                f"FROM {LINES} l WHERE l.distributor_id = s.distributor_id AND l.date > s.next_cutoff "
                f"AND l.date <= s.year_end GROUP BY l.client_id) a WHERE s.next_cutoff < s.year_end", [],
            )
        else:
            cursor.execute(
                f"{sql['temp']} seg_after AS "
                f"SELECT l.distributor_id AS distributor_id, l.client_id AS client_id, s.year AS year, "
                f"SUM(l.amount) AS volume FROM seg_scope s JOIN {LINES} l ON l.distributor_id = s.distributor_id "
                f"AND l.date > s.next_cutoff AND l.date <= s.year_end WHERE s.next_cutoff < s.year_end "
                f"GROUP BY l.distributor_id, l.client_id, s.year", [],
            )

        # What each segment should hold. Keys: clients buying this year or last year, in a year with sales.
        days = sql["days"].format(a="r.as_of", b="r.last_purchase")
        covered = sql["covered"]
        if connection.vendor == "postgresql":
            # Its statistics only steer the joins below (which hash anyway): a sample of 3,000 rows (target 10)
            # instead of 30,000, and only the join keys.
            cursor.execute("ALTER TABLE seg_agg " + ", ".join(f"ALTER COLUMN {c} SET STATISTICS 10"
                                                             for c in ("distributor_id", "client_id", "year")))
            cursor.execute("ANALYZE seg_agg (distributor_id, client_id, year)")
        else:
            cursor.execute("CREATE INDEX seg_agg_key ON seg_agg (distributor_id, year, client_id)")
        # The years that get segments, with what the whole distributor-year sold (months reported, total).
        cursor.execute(
            f"{sql['temp']} seg_targets AS "
            f"SELECT t.distributor_id, t.year, t.as_of, v.months_covered, v.total FROM seg_scope t JOIN ("
            f"  SELECT a.distributor_id, a.year, {covered} AS months_covered, SUM(a.volume) AS total FROM seg_agg a "
            f"  GROUP BY a.distributor_id, a.year) v ON v.distributor_id = t.distributor_id AND v.year = t.year "
            f"WHERE t.target = 1 AND t.as_of IS NOT NULL "
            f"AND EXISTS (SELECT 1 FROM {DISTRIBUTORS} d WHERE d.id = t.distributor_id)", [],
        )
        # A network-wide recompute into an empty segment table (a first recompute, a rebuild: see _claim_empty_table).
        from_empty = not few and connection.vendor == "postgresql" and _claim_empty_table(cursor)
        if connection.vendor == "postgresql":
            # The segment's keys carry no database constraint (models.ClientSegment): lock the clients and
            # distributors this recompute writes segments for, as a constraint would. A client deleted meanwhile
            # waits for this transaction; one deleted before is not joined below. A rebuild from empty (a maintenance
            # operation) locks the client table against writes instead of ~200k rows one by one (a WAL record and a
            # dirtied page each: 0.4 s of CPU at full size); an import's recompute locks its clients' rows only.
            if from_empty:
                cursor.execute(f"LOCK TABLE {CLIENTS} IN SHARE MODE")
            else:
                cursor.execute(f"WITH locked AS (SELECT 1 FROM {CLIENTS} c WHERE c.id IN "
                               f"(SELECT a.client_id FROM seg_agg a) FOR KEY SHARE OF c) SELECT COUNT(*) FROM locked")
            # The distributors: the year of one deleted since seg_targets was made gets no segments.
            cursor.execute(f"WITH locked AS (SELECT d.id FROM {DISTRIBUTORS} d WHERE d.id IN "
                           f"(SELECT t.distributor_id FROM seg_targets t) FOR KEY SHARE OF d) "
                           f"DELETE FROM seg_targets WHERE distributor_id NOT IN (SELECT locked.id FROM locked)")
            cursor.execute("ANALYZE seg_targets")
            # The planner cannot know that (distributor, year) pairs repeat in seg_agg and seg_targets alike, so
            # it expects a few thousand rows and picks a loop of index probes for hundreds of thousands: this one
            # statement joins by hashing.
            # Nor does it see that seg_after is small beside them: a merge join would sort every segment-to-be for it.
            _hash_joins(cursor, True)
        # What each segment should hold: the CTEs, then the one SELECT over them.
        # The latest answer of each client: an import's recompute ranks its own clients' answers only; a network-wide
        # one ranks them all (every client it joins is in seg_agg anyway) rather than hashing seg_agg's 400k rows
        # to pick the clients first (0.3 s of CPU at full size).
        answered = "WHERE r.client_id IN (SELECT a.client_id FROM seg_agg a)" if few else ""
        # seg_agg's rows of a target year, and of the year before one.
        targeted = ("EXISTS (SELECT 1 FROM seg_targets t WHERE t.distributor_id = a.distributor_id "
                    "AND t.year = a.year{shift})")
        ctes = (
            f"nps AS ("
            f"  SELECT ranked_answers.client_id, ranked_answers.recommend FROM ("
            f"    SELECT r.client_id, r.recommend, ROW_NUMBER() OVER (PARTITION BY r.client_id "
            f"      ORDER BY r.created_at DESC, r.id DESC) AS position FROM {RESPONSES} r "
            f"    {answered}) ranked_answers "
            f"  WHERE ranked_answers.position = 1), "
            # Each key's own year and the year before: the rows of a target year and those of the year before it,
            # matched by ONE full join (a hash of the ~200k previous-year rows). A key has at most one row of each
            # kind. It was a grouping of both kinds as one UNION ALL (600k rows, spilling MAX(numeric) states):
            # 0.6 s more CPU at full size.
            f"keys AS ("
            f"  SELECT COALESCE(a.distributor_id, p.distributor_id) AS distributor_id, "
            f"    COALESCE(a.client_id, p.client_id) AS client_id, COALESCE(a.year, p.year + 1) AS year, a.volume, "
            f"    a.quantity, a.months_mask, a.last_date, p.volume AS prev_volume, p.last_date AS prev_last "
            f"  FROM (SELECT * FROM seg_agg a WHERE {targeted.format(shift='')}) a "
            f"  FULL JOIN (SELECT * FROM seg_agg a WHERE {targeted.format(shift=' + 1')}) p "
            f"  ON p.distributor_id = a.distributor_id AND p.client_id = a.client_id AND p.year + 1 = a.year), "
            f"base AS ("
            f"  SELECT k.distributor_id, k.client_id, k.year, t.as_of, t.months_covered, t.total, "
            f"    COALESCE(k.volume, 0) AS volume, COALESCE(k.quantity, 0) AS quantity, "
            f"    COALESCE(k.prev_volume, 0) - COALESCE(after.volume, 0) AS previous_volume, "
            f"    COALESCE(k.months_mask, 0) AS months_mask, "
            f"    COALESCE(k.last_date, k.prev_last) AS last_purchase, "
            f"    c.potential_annual_volume AS potential, c.is_key_account AS is_key, "
            f"    nps.recommend AS recommend "
            f"  FROM keys k JOIN seg_targets t ON t.distributor_id = k.distributor_id AND t.year = k.year "
            f"  JOIN {CLIENTS} c ON c.id = k.client_id "
            f"  LEFT JOIN seg_after after ON after.distributor_id = k.distributor_id AND after.client_id = k.client_id "
            f"    AND after.year = k.year - 1 "
            f"  LEFT JOIN nps ON nps.client_id = k.client_id), "
            f"ranked AS ("
            f"  SELECT b.*, "
            f"    SUM(b.volume) OVER (PARTITION BY b.distributor_id, b.year ORDER BY b.volume DESC, b.client_id "
            f"      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - b.volume AS before "
            f"  FROM base b), "
            f"measured AS ("
            f"  SELECT r.*, "
            f"    CASE WHEN r.potential > 0 THEN ROUND(r.volume * 12.0 / r.months_covered / r.potential, 4) END AS share, "
            f"    CASE WHEN r.previous_volume <> 0 THEN ROUND((r.volume - r.previous_volume) * 1.0 / r.previous_volume, 4) "
            f"      END AS trend, "
            f"    CASE WHEN r.volume > 0 AND r.before < 0.80 * r.total THEN '{AbcClass.A}' "
            f"      WHEN r.volume > 0 AND r.before < 0.95 * r.total THEN '{AbcClass.B}' ELSE '{AbcClass.C}' END AS abc, "
            f"    CASE WHEN r.recommend IS NULL THEN '{NpsClass.NONE}' WHEN r.recommend >= 9 THEN '{NpsClass.PROMOTER}' "
            f"      WHEN r.recommend >= 7 THEN '{NpsClass.PASSIVE}' ELSE '{NpsClass.DETRACTOR}' END AS nps, "
            f"    {days} AS recency "
            f"  FROM ranked r{sql['fence']}), "
            f"flagged AS ("
            f"  SELECT m.*, CASE WHEN m.is_key = {sql['true']} AND m.share IS NOT NULL AND m.share < {Decimal(small_batch_share)} "
            f"    THEN 1 ELSE 0 END AS small FROM measured m{sql['fence']})"
        )
        final = (
            f"SELECT f.distributor_id, f.client_id, f.year, "
            f"  ROUND(f.volume, 2) AS volume, ROUND(f.quantity, 3) AS quantity, "
            f"  ROUND(f.previous_volume, 2) AS previous_volume, f.trend, {sql['count_bits'].format(mask='f.months_mask')} AS months_active, "
            f"  f.months_covered, f.last_purchase, f.recency AS recency_days, f.share AS share_of_potential, "
            f"  CASE WHEN f.small = 1 THEN {sql['true']} ELSE {sql['false']} END AS small_batches, "
            f"  f.abc AS abc_class, f.nps AS nps_class, f.recommend, "
            f"  CASE WHEN f.volume = 0 OR f.recency > {int(dormant_days)} THEN '{SegmentLabel.DORMANT}' "
            f"    WHEN (f.trend IS NOT NULL AND f.trend <= {Decimal(at_risk_trend)}) OR f.nps = '{NpsClass.DETRACTOR}' "
            f"      THEN '{SegmentLabel.AT_RISK}' "
            f"    WHEN f.small = 1 THEN '{SegmentLabel.GROW}' "
            f"    WHEN f.abc = '{AbcClass.A}' AND (f.is_key = {sql['true']} OR (f.share IS NOT NULL AND f.share >= {Decimal(strategic_share)})) "
            f"      THEN '{SegmentLabel.STRATEGIC}' "
            f"    ELSE '{SegmentLabel.MAINTAIN}' END AS label "
            f"FROM flagged f"
        )
        if connection.vendor != "postgresql":
            cursor.execute(f"{sql['temp']} seg_new AS WITH {ctes} {final}", [])
            cursor.execute("CREATE INDEX seg_new_key ON seg_new (distributor_id, client_id, year)")

        in_scope = ("EXISTS (SELECT 1 FROM seg_scope t WHERE t.target = 1 AND t.distributor_id = {s}.distributor_id "
                    "AND t.year = {s}.year)")
        missing = ("NOT EXISTS (SELECT 1 FROM seg_new n WHERE n.distributor_id = {s}.distributor_id "
                   "AND n.client_id = {s}.client_id AND n.year = {s}.year)")
        history_fields = [f.column for f in ClientSegment.history.model._meta.concrete_fields
                          if f.column not in ("history_id", "history_date", "history_change_reason", "history_type",
                                              "history_user_id")]
        history_insert = (f"INSERT INTO {HISTORY} ({', '.join(history_fields)}, history_date, history_change_reason, "
                          f"history_type, history_user_id) SELECT {', '.join('s.' + c for c in history_fields)}, %s, "
                          f"%s, {{kind}}, NULL FROM {SEGMENTS} s WHERE {{where}}")

        columns = KEY_COLUMNS + VALUE_COLUMNS
        changed = " OR ".join(f"{SEGMENTS}.{c} {sql['distinct']} excluded.{c}" for c in VALUE_COLUMNS)
        differs = " OR ".join(f"s.{c} {sql['distinct']} n.{c}" for c in VALUE_COLUMNS)
        # Insert new segments, update changed ones, leave equal ones alone: one join picks the rows to write,
        # so an unchanged recompute writes (and locks) nothing.
        upsert = (
            f"INSERT INTO {SEGMENTS} ({', '.join(columns)}, created_at, updated_at) "
            f"SELECT {', '.join('n.' + c for c in columns)}, %s, %s FROM seg_new n LEFT JOIN {SEGMENTS} s "
            f"ON {mine}s.distributor_id = n.distributor_id AND s.client_id = n.client_id AND s.year = n.year "
            f"WHERE s.id IS NULL OR {differs} "
            f"ON CONFLICT (distributor_id, client_id, year) DO UPDATE SET "
            f"{', '.join(f'{c} = excluded.{c}' for c in VALUE_COLUMNS)}, updated_at = excluded.updated_at "
            f"WHERE {changed}"
        )
        kind = "CASE WHEN s.created_at = %s THEN '+' ELSE '~' END"
        if connection.vendor == "postgresql":
            # ONE statement computes the segments and writes them with their history: the segments as they should
            # be (seg_new, never stored), the stale ones deleted, the new and changed ones upserted, and every
            # deleted or written row into the audit history. Data-modifying CTEs run once each, on one snapshot;
            # the deleted and the upserted keys are disjoint. Its joins hash (see seg_targets above).
            history_columns = (f"{HISTORY} ({', '.join(history_fields)}, history_date, history_change_reason, "
                               f"history_type, history_user_id)")
            values = ", ".join("s." + c for c in history_fields)
            if from_empty:
                # From empty: nothing to compare, update or delete; plain inserts, the secondary indexes built
                # once afterwards (sorted) rather than maintained row by row.
                with _secondary_indexes_rebuilt(cursor):
                    cursor.execute(
                        f"WITH {ctes}, seg_new AS ({final}), "
                        f"written AS (INSERT INTO {SEGMENTS} ({', '.join(columns)}, created_at, updated_at) "
                        f"  SELECT {', '.join('n.' + c for c in columns)}, %s, %s FROM seg_new n RETURNING *) "
                        f"INSERT INTO {history_columns} SELECT {values}, %s, %s, '+', NULL FROM written s",
                        [stamp, stamp, stamp, "recompute"],
                    )
                    touched = cursor.rowcount
                _hash_joins(cursor, False)
                _drop_temp(cursor)
                return touched
            cursor.execute(
                f"WITH {ctes}, seg_new AS ({final}), "
                f"gone AS (DELETE FROM {SEGMENTS} s WHERE {mine}{in_scope.format(s='s')} "
                f"  AND {missing.format(s='s')} RETURNING s.*), "
                f"gone_history AS (INSERT INTO {history_columns} SELECT {values}, %s, %s, '-', NULL FROM gone s "
                f"  RETURNING 1), "
                f"written AS ({upsert} RETURNING *) "
                f"INSERT INTO {history_columns} SELECT {values}, %s, %s, {kind}, NULL FROM written s",
                [stamp, "recompute", stamp, stamp, stamp, "recompute", stamp],
            )
            touched = cursor.rowcount
            _hash_joins(cursor, False)
            _drop_temp(cursor)
            return touched

        # SQLite: the same steps one after the other, over the stored seg_new.
        # Segments whose client no longer buys (or a year without sales): found once, history first, then gone.
        cursor.execute(f"{sql['temp']} seg_gone AS SELECT s.id FROM {SEGMENTS} s "
                       f"WHERE {mine}{in_scope.format(s='s')} AND {missing.format(s='s')}")
        cursor.execute(history_insert.format(kind="'-'", where="s.id IN (SELECT id FROM seg_gone)"), [stamp, "recompute"])
        cursor.execute(f"DELETE FROM {SEGMENTS} WHERE id IN (SELECT id FROM seg_gone)")
        cursor.execute(upsert, [stamp, stamp])
        # This run's stamp marks exactly the rows it wrote (no scope test beyond the distributors: the
        # table's statistics may still say "empty" right after a first recompute, and a per-row scope probe
        # then costs minutes).
        cursor.execute(history_insert.format(kind=kind, where=f"{mine}s.updated_at = %s"),
                       [stamp, "recompute", stamp, stamp])
        touched = cursor.rowcount
        _drop_temp(cursor)
    return touched

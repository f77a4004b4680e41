"""The pipeline's reports: the forecast (weighted open pipeline and won value by month, distributor, territory or
product line; the forecast page and `GET /forecast`) and the lost reasons (the forecast page). Split from
selectors.py, whose filters, weighted value and pipeline roll-up reads they use."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from keychannel.network.models import Distributor, ProductLine, Territory

from .choices import OPEN_STAGES, ForecastDimension, LostReason, Stage
from .models import Opportunity
from .selectors import (
    ROLLUP_FILTERS,
    WEIGHTED,
    ZERO,
    apply_filters,
    next_month,
    parse_month,
    rollup_rows,
    rollup_serves,
)


def forecast(*, principal, dimension: str = ForecastDimension.MONTH, filters: dict | None = None) -> list[dict]:
    """Weighted open pipeline and won value grouped by month, distributor, territory or product line.

    Open deals count in the month they are expected to close, won deals in the month they closed. By product
    line a deal counts in full under each of its lines (so those rows may add up to more than the total).
    """
    filters = dict(filters or {})
    filters.pop("stage", None)
    if dimension == ForecastDimension.DISTRIBUTOR and rollup_serves(principal, filters):
        open_rows, won_rows = _distributor_rows_from_rollup(filters)
        return _forecast_rows(dimension, open_rows, won_rows)
    base = apply_filters(Opportunity.objects.visible_to(principal), filters).order_by()
    open_qs = base.filter(stage__in=OPEN_STAGES)
    won_qs = base.filter(stage=Stage.WON)
    if since := parse_month(filters.get("from_month")):
        open_qs = open_qs.filter(expected_close_on__gte=since)
        won_qs = won_qs.filter(closed_on__gte=since)
    if until := parse_month(filters.get("to_month")):
        open_qs = open_qs.filter(expected_close_on__lt=next_month(until))
        won_qs = won_qs.filter(closed_on__lt=next_month(until))
    # Grouped by the key column alone and counted with COUNT(*): each deal is one row (by product line, one row
    # per line it has), so no DISTINCT is needed, and grouping by label columns as well made the database sort
    # every open deal with its labels. The labels of the keys found are read after, in one small query.
    if dimension == ForecastDimension.MONTH:
        open_key, won_key = {"key": TruncMonth("expected_close_on")}, {"key": TruncMonth("closed_on")}
    elif dimension == ForecastDimension.DISTRIBUTOR:
        open_key = won_key = {"key": F("distributor_id")}
    elif dimension == ForecastDimension.TERRITORY:
        open_key = won_key = {"key": F("client__territory_id")}
    elif dimension == ForecastDimension.PRODUCT_LINE:
        open_key = won_key = {"key": F("product_lines__id")}
    else:
        raise ValueError(dimension)
    open_rows = list(open_qs.annotate(**open_key).values("key").annotate(
        n=Count("pk"), pipeline=Coalesce(Sum("value"), ZERO), weighted=Coalesce(Sum(WEIGHTED), ZERO)
    ))
    won_rows = list(won_qs.annotate(**won_key).values("key").annotate(n=Count("pk"), won=Coalesce(Sum("value"), ZERO)))
    return _forecast_rows(dimension, open_rows, won_rows)


def _distributor_rows_from_rollup(filters: dict):
    """The forecast by distributor from the roll-up: one grouped query over a few rows per distributor."""
    open_stage, won = Q(stage__in=OPEN_STAGES), Q(stage=Stage.WON)
    rows = list(rollup_rows(filters).values("distributor_id").annotate(
        open_n=Sum("deal_count", filter=open_stage), pipeline=Sum("amount", filter=open_stage),
        weighted=Sum("weighted", filter=open_stage), won_n=Sum("deal_count", filter=won),
        won=Sum("amount", filter=won)))
    open_rows = [{"key": r["distributor_id"], "n": r["open_n"], "pipeline": r["pipeline"], "weighted": r["weighted"]}
                 for r in rows if r["open_n"]]
    won_rows = [{"key": r["distributor_id"], "n": r["won_n"], "won": r["won"]} for r in rows if r["won_n"]]
    return open_rows, won_rows


def _forecast_rows(dimension, open_rows, won_rows) -> list[dict]:
    labels = _forecast_labels(dimension, {row["key"] for row in open_rows + won_rows})
    rows: dict = {}
    for row in open_rows:
        key = _normal_key(row["key"])
        entry = rows.setdefault(key, _empty_row(key, labels(row["key"])))
        entry.update(open_count=row["n"], pipeline=row["pipeline"], weighted=row["weighted"])
    for row in won_rows:
        key = _normal_key(row["key"])
        entry = rows.setdefault(key, _empty_row(key, labels(row["key"])))
        entry.update(won_count=row["n"], won=row["won"])
    ordered = sorted(rows.values(), key=lambda r: (r["key"] is None, str(r["key"]) if dimension == "month" else r["label"]))
    for entry in ordered:
        for name in ("pipeline", "weighted", "won"):
            entry[name] = Decimal(entry[name]).quantize(Decimal("0.01"))
        entry["key"] = "" if entry["key"] is None else str(entry["key"])
    return ordered


FORECAST_FIGURES = ("open_count", "pipeline", "weighted", "won_count", "won")


def forecast_table(*, principal, dimension: str, filters: dict | None, limit: int, offset: int = 0):
    """``(rows, totals, count)``: one page of the forecast's rows, the totals of every row and how many there are.

    By distributor for a caller the roll-up serves, the database groups, orders and pages the rows and sums the
    totals in one statement (``_distributor_page_from_rollup``): a page costs the same however many distributors
    there are. Otherwise every row is built (``forecast``) and the page cut from them."""
    filters = dict(filters or {})
    filters.pop("stage", None)
    if dimension == ForecastDimension.DISTRIBUTOR and rollup_serves(principal, filters):
        offset = max(0, int(offset or 0))
        if connection.vendor == "postgresql" and not any(filters.get(name) for name in ROLLUP_FILTERS):
            return _distributor_page_walked(limit=limit, offset=offset)
        return _distributor_page_from_rollup(filters, limit=limit, offset=offset)
    rows = forecast(principal=principal, dimension=dimension, filters=filters)
    return forecast_page(rows, limit=limit, offset=offset), forecast_totals(rows), len(rows)


def _distributor_page_from_rollup(filters: dict, *, limit: int, offset: int):
    """The roll-up grouped by distributor (only those with open or won deals), ordered as ``forecast`` orders them
    (by label, "code · name": the codes are unique, so by code in code-point order; direct sales last), one page
    of it, and over every group the count and the totals (window sums, before LIMIT) in the same statement. The
    totals are the sums of the unrounded figures, rounded once."""
    open_stage, won = Q(stage__in=OPEN_STAGES), Q(stage=Stage.WON)
    grouped = rollup_rows(filters).values("distributor_id").annotate(
        open_count=Sum("deal_count", filter=open_stage), pipeline=Sum("amount", filter=open_stage),
        weighted=Sum("weighted", filter=open_stage), won_count=Sum("deal_count", filter=won),
        won=Sum("amount", filter=won)).filter(Q(open_count__gt=0) | Q(won_count__gt=0))
    inner, params = grouped.query.sql_with_params()
    binary = '"C"' if connection.vendor == "postgresql" else "BINARY"  # code-point order, as Python sorts labels
    figures = ", ".join(f"g.{name}" for name in FORECAST_FIGURES)
    sums = ", ".join(f"SUM(g.{name}) OVER ()" for name in FORECAST_FIGURES)
    statement = (f"SELECT g.distributor_id, d.code, d.legal_name, {figures}, COUNT(*) OVER (), {sums} "
                 f"FROM ({inner}) g LEFT JOIN {Distributor._meta.db_table} d ON d.id = g.distributor_id "
                 f"ORDER BY g.distributor_id IS NULL, d.code COLLATE {binary}, g.distributor_id LIMIT %s OFFSET %s")
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, limit, offset])
        found = cursor.fetchall()
        if not found and offset:  # past the last row: the count and the totals still answer
            cursor.execute(statement, [*params, 1, 0])
            last = cursor.fetchall()
            totals_row = last[0] if last else None
        else:
            totals_row = found[0] if found else None
    rows = [_rollup_page_row(pk, code, name, values[:5]) for pk, code, name, *values in found]
    if totals_row is None:
        return rows, {name: _figure(name, 0) for name in FORECAST_FIGURES}, 0
    count, *totals = totals_row[8:]
    return rows, {name: _figure(name, value) for name, value in zip(FORECAST_FIGURES, totals, strict=True)}, count


# One page of the network's distributors with open or won deals, in label order (by code in code-point order, as
# ``_distributor_page_from_rollup``), each summed from its own few roll-up rows: the distributors are sorted by
# code (2,000 short keys), then walked in that order until the page is full, so a page costs about the same
# however many distributors there are.
_WALK = """
SELECT d.id, d.code, d.legal_name, f.open_count, f.pipeline, f.weighted, f.won_count, f.won
FROM (SELECT id, code, legal_name FROM {distributor} ORDER BY code COLLATE "C", id) d
CROSS JOIN LATERAL (
    SELECT SUM(r.deal_count) FILTER (WHERE r.stage = ANY(%(open)s)) AS open_count,
           SUM(r.amount) FILTER (WHERE r.stage = ANY(%(open)s)) AS pipeline,
           SUM(r.weighted) FILTER (WHERE r.stage = ANY(%(open)s)) AS weighted,
           SUM(r.deal_count) FILTER (WHERE r.stage = %(won)s) AS won_count,
           SUM(r.amount) FILTER (WHERE r.stage = %(won)s) AS won
    FROM {rollup} r WHERE r.distributor_id = d.id
) f
WHERE f.open_count > 0 OR f.won_count > 0
ORDER BY d.code COLLATE "C", d.id
LIMIT %(limit)s OFFSET %(offset)s
"""


_SUMS = """
SELECT r.stage, r.distributor_id IS NULL, SUM(r.deal_count), SUM(r.amount), SUM(r.weighted),
       (SELECT COUNT(DISTINCT c.distributor_id) FROM {rollup} c WHERE c.deal_count > 0 AND c.stage = ANY(%(shown)s))
FROM {rollup} r WHERE r.stage = ANY(%(shown)s) GROUP BY 1, 2
"""


def _distributor_page_walked(*, limit: int, offset: int):
    """``_distributor_page_from_rollup`` for the whole network on PostgreSQL, without grouping every roll-up row by
    distributor (at full size that grouping, its join and its window sums took 11.5 ms): the roll-up summed by
    stage (a dozen groups; the totals and the direct deals' figures) with the number of distributors that have
    open or won deals, then the page walked off the distributors (``_WALK``: 1.7 ms at any size). The same rows,
    totals and count; direct sales are the last row."""
    from .rollups import PipelineRollup

    open_stages = [stage.value for stage in OPEN_STAGES]
    tables = {"distributor": Distributor._meta.db_table, "rollup": PipelineRollup._meta.db_table}
    network = dict.fromkeys(FORECAST_FIGURES, 0)
    direct = dict.fromkeys(FORECAST_FIGURES, 0)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(_SUMS.format(**tables), {"shown": [*open_stages, Stage.WON.value]})
        for stage, is_direct, deals, amount, weighted, distributors in cursor.fetchall():
            count = distributors
            figures = ({"open_count": deals, "pipeline": amount, "weighted": weighted} if stage in open_stages
                       else {"won_count": deals, "won": amount})
            for target in (network, direct) if is_direct else (network,):
                for name, value in figures.items():
                    target[name] += value or 0
        rows = []
        if offset < count:
            cursor.execute(_WALK.format(**tables), {"open": open_stages, "won": Stage.WON.value, "limit": limit,
                                                    "offset": offset})
            rows = [_rollup_page_row(pk, code, name, values) for pk, code, name, *values in cursor.fetchall()]
    if direct["open_count"] > 0 or direct["won_count"] > 0:
        if offset <= count < offset + limit:
            rows.append(_rollup_page_row(None, None, None, [direct[name] for name in FORECAST_FIGURES]))
        count += 1
    return rows, {name: _figure(name, network[name]) for name in FORECAST_FIGURES}, count


def _figure(name: str, value):
    if name.endswith("_count"):
        return int(value or 0)
    if isinstance(value, float):  # SQLite sums decimals as floats
        value = Decimal(repr(value))
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _rollup_page_row(pk, code, name, values) -> dict:
    if pk is None:
        label = "direct"
    else:
        label = f"{code} · {name}" if code is not None else "—"
    return {"key": "" if pk is None else str(pk), "label": label,
            **{field: _figure(field, value) for field, value in zip(FORECAST_FIGURES, values, strict=True)}}


def forecast_page(rows: list[dict], *, limit: int | None, offset: int = 0) -> list[dict]:
    """One page of the forecast's rows (the totals stay those of every row)."""
    offset = max(0, int(offset or 0))
    return rows[offset:offset + limit] if limit else rows[offset:]


def lost_reasons(*, principal, filters: dict | None = None) -> list[dict]:
    """Lost deals by the reason given (deals.choices.LostReason), with their count and value, most frequent first:
    the forecast page's filters (distributor, territory, product line, close months) apply. One grouped query."""
    filters = dict(filters or {})
    filters.pop("stage", None)
    qs = apply_filters(Opportunity.objects.visible_to(principal), filters).order_by().filter(stage=Stage.LOST)
    if since := parse_month(filters.get("from_month")):
        qs = qs.filter(closed_on__gte=since)
    if until := parse_month(filters.get("to_month")):
        qs = qs.filter(closed_on__lt=next_month(until))
    rows = qs.values("lost_reason_code").annotate(n=Count("pk"), value=Coalesce(Sum("value"), ZERO))
    labels = dict(LostReason.choices)
    total = sum(row["n"] for row in rows)
    out = [{"code": row["lost_reason_code"], "label": labels.get(row["lost_reason_code"], "—"), "count": row["n"],
            "value": Decimal(row["value"]).quantize(Decimal("0.01")),
            "share": Decimal(100 * row["n"]) / total if total else Decimal(0)} for row in rows]
    return sorted(out, key=lambda r: (-r["count"], str(r["label"])))


LABELS_IN_LIST = 300


def _forecast_labels(dimension: str, keys: set):
    """A function from a forecast row's key to its label, reading the labels of these keys in one query."""
    if dimension == ForecastDimension.MONTH:
        return lambda key: key.strftime("%Y-%m") if key else "—"
    ids = [key for key in keys if key is not None]
    if dimension == ForecastDimension.DISTRIBUTOR:
        # Past a few hundred keys, every distributor's label is cheaper to read than an IN list of the keys (2,001
        # at full size: parsing and planning it cost more than reading the 2,000 rows).
        wanted = Distributor.objects.order_by()
        wanted = wanted if len(ids) > LABELS_IN_LIST else wanted.filter(pk__in=ids)
        names = {pk: f"{code} · {name}" for pk, code, name in wanted.values_list("pk", "code", "legal_name")}
        return lambda key: names.get(key, "—") if key is not None else "direct"
    model = Territory if dimension == ForecastDimension.TERRITORY else ProductLine
    names = dict(model.objects.order_by().filter(pk__in=ids).values_list("pk", "name"))
    return lambda key: names.get(key) or "—"


def _normal_key(key):
    if isinstance(key, datetime.datetime):
        key = key.date()
    if isinstance(key, datetime.date):
        return key.strftime("%Y-%m")
    return key


def _empty_row(key, label):
    return {"key": key, "label": label, "open_count": 0, "pipeline": Decimal("0"), "weighted": Decimal("0"),
            "won_count": 0, "won": Decimal("0")}


def forecast_totals(rows: list[dict]) -> dict:
    cents = Decimal("0.01")
    totals = {name: sum(r[name] for r in rows) for name in ("open_count", "won_count")}
    totals.update({name: sum((r[name] for r in rows), Decimal("0")).quantize(cents)
                   for name in ("pipeline", "weighted", "won")})
    return totals

"""The pipeline's reports: the forecast (weighted open pipeline and won value by month, distributor, territory or
product line; the forecast page and `GET /forecast`) and the lost reasons (the forecast page). Split from
selectors.py, whose filters, weighted value and pipeline roll-up reads they use."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from keychannel.network.models import Distributor, ProductLine, Territory

from . import month_totals
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
    if dimension == ForecastDimension.MONTH and months_serve(principal, filters):
        return _forecast_rows(dimension, *month_totals.forecast_rows(*_months(filters)))
    return forecast_counted(principal=principal, dimension=dimension, filters=filters)


def forecast_counted(*, principal, dimension: str, filters: dict) -> list[dict]:
    """``forecast`` grouped from the deals themselves (every caller the roll-ups do not serve; the tests compare
    the roll-ups' answers with it)."""
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


MONTH_FILTERS = {"from_month", "to_month"}


def months_serve(principal, filters: dict) -> bool:
    """Whether the network's months (deals/month_totals.py) give the same figures as grouping the deals: for a
    principal who sees every deal, with no filter but the months (a distributor's deals are few, grouped live)."""
    used = {name for name, value in filters.items() if value not in (None, "", False)}
    return principal.is_authenticated and principal.distributor_ids is None and used <= MONTH_FILTERS


def _months(filters: dict) -> tuple:
    """The first month asked and the first after the last (None: open-ended), as the live queries cut them."""
    until = parse_month(filters.get("to_month"))
    return parse_month(filters.get("from_month")), next_month(until) if until else None


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


class ForecastPage(NamedTuple):
    """One page of the forecast: its rows, the totals of every row, how many rows there are (None: not counted, see
    ``forecast_table``) and the offset of the next page (None: this is the last)."""

    rows: list[dict]
    totals: dict
    count: int | None
    next_offset: int | None


def forecast_table(*, principal, dimension: str, filters: dict | None, limit: int, offset: int = 0) -> ForecastPage:
    """One page of the forecast's rows, the totals of every row, and how many rows there are.

    By distributor for a caller the roll-up serves, the database groups, orders and pages the rows. Over the whole
    network (no distributor filter) the rows are not counted (issue 22): an exact count reads a roll-up row of every
    distributor, so it grew with the network (3–15 ms at 2,000 distributors, the rest of the page being flat).
    ``count`` is then None but on the last page, where the walk has met the end and knows it; ``next_offset`` tells
    whether rows remain. Otherwise every row is built (``forecast``) and the page cut from them."""
    filters = dict(filters or {})
    filters.pop("stage", None)
    offset = max(0, int(offset or 0))
    if dimension == ForecastDimension.DISTRIBUTOR and rollup_serves(principal, filters):
        if any(filters.get(name) for name in ROLLUP_FILTERS):
            rows, totals, count = _distributor_page_from_rollup(filters, limit=limit, offset=offset)
            return ForecastPage(rows, totals, count, _next_offset(count, limit, offset))
        if connection.vendor == "postgresql":
            return _distributor_page_walked(limit=limit, offset=offset)
        # SQLite (tests, demos): the same page from the grouped roll-up, with the walk's contract.
        rows, totals, count = _distributor_page_from_rollup(filters, limit=limit, offset=offset)
        following = _next_offset(count, limit, offset)
        return ForecastPage(rows, totals, count if following is None and (rows or offset == 0) else None, following)
    rows = forecast(principal=principal, dimension=dimension, filters=filters)
    count = len(rows)
    return ForecastPage(forecast_page(rows, limit=limit, offset=offset), forecast_totals(rows), count,
                        _next_offset(count, limit, offset))


def _next_offset(count: int, limit: int, offset: int) -> int | None:
    return offset + limit if offset + limit < count else None


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


# One page of the whole network's forecast by distributor on PostgreSQL, in one statement whose cost does not grow
# with the network (issue 22; the parts are told apart by their first column):
#  0 the page: the distributors walked in label order (code in code-point order, then id) off the index
#    ``network_distributor_code_c`` (network migration 0012), each summed from its own few roll-up rows through
#    the roll-up's distributor index, until the page (and the row either side of it) is found;
#  1 the network's figures per stage from the per-stage totals (deals/stage_totals.py: at most 16 rows per stage and
#    currency), not from the roll-up's row per distributor;
#  2 the direct deals' figures per stage (the roll-up's rows without a distributor: one per stage and currency).
_PAGE = """
SELECT 0, p.id, p.code, p.legal_name, p.open_count, p.pipeline, p.weighted, p.won_count, p.won
FROM (
    SELECT d.id, d.code, d.legal_name, f.open_count, f.pipeline, f.weighted, f.won_count, f.won
    FROM {distributor} d
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
) AS p
UNION ALL
SELECT 1, NULL, t.stage, NULL, SUM(t.deal_count), SUM(t.amount), SUM(t.weighted), NULL, NULL
FROM {totals} t WHERE t.stage = ANY(%(shown)s) GROUP BY t.stage
UNION ALL
SELECT 2, NULL, r.stage, NULL, SUM(r.deal_count), SUM(r.amount), SUM(r.weighted), NULL, NULL
FROM {rollup} r WHERE r.distributor_id IS NULL AND r.stage = ANY(%(shown)s) GROUP BY r.stage
"""


def _distributor_page_walked(*, limit: int, offset: int) -> ForecastPage:
    """The whole network's page on PostgreSQL without reading a row per distributor (it grouped every roll-up row
    by distributor: 11.5 ms at full size; then summed every roll-up row by stage and counted the distributors with
    deals: 3–15 ms): one statement, ``_PAGE``. The same rows and totals as ``_distributor_page_from_rollup``; direct
    sales are the last row. The walk reads from the row before the page to the row after it: the one after tells
    whether rows remain, the one before whether direct sales (the row after the last distributor) fall on a page
    that starts past the distributors. Where the walk meets the end, the count is known and given."""
    from .rollups import PipelineRollup
    from .stage_totals import PipelineStageTotal

    open_stages = [stage.value for stage in OPEN_STAGES]
    tables = {"distributor": Distributor._meta.db_table, "rollup": PipelineRollup._meta.db_table,
              "totals": PipelineStageTotal._meta.db_table}
    before = 1 if offset else 0
    with connection.cursor() as cursor:
        cursor.execute(_PAGE.format(**tables), {
            "open": open_stages, "won": Stage.WON.value, "shown": [*open_stages, Stage.WON.value],
            "limit": limit + 1 + before, "offset": offset - before})
        found = cursor.fetchall()
    network = dict.fromkeys(FORECAST_FIGURES, 0)
    direct = dict.fromkeys(FORECAST_FIGURES, 0)
    walked = []
    for part, pk, code, name, *values in found:
        if part == 0:
            walked.append((code, pk, name, values))
            continue
        deals, amount, weighted = values[:3]
        figures = ({"open_count": deals, "pipeline": amount, "weighted": weighted} if code in open_stages
                   else {"won_count": deals, "won": amount})
        for figure, value in figures.items():
            (network if part == 1 else direct)[figure] += value or 0
    totals = {name: _figure(name, network[name]) for name in FORECAST_FIGURES}
    # In the walk's order (UNION ALL does not promise to keep it): code in code-point order ("C" compares UTF-8
    # bytes, Python code points: the same order), then id.
    walked.sort(key=lambda row: (row[0], row[1]))
    if before and not walked:  # the page starts past the row after the last distributor: nothing, not counted
        return ForecastPage([], totals, None, None)
    walked = walked[before:]
    rows = [_rollup_page_row(pk, code, name, values) for code, pk, name, values in walked[:limit]]
    if len(walked) > limit:
        return ForecastPage(rows, totals, None, offset + limit)
    has_direct = direct["open_count"] > 0 or direct["won_count"] > 0
    distributors = offset + len(walked)  # the walk met the end: every distributor with deals is counted
    if has_direct and len(rows) < limit:
        rows.append(_rollup_page_row(None, None, None, [direct[name] for name in FORECAST_FIGURES]))
    elif has_direct:  # direct sales are the next page's one row
        return ForecastPage(rows, totals, None, offset + limit)
    return ForecastPage(rows, totals, distributors + has_direct, None)


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
    # The whole network's from its lost rows per month and reason (deals/month_totals.py), not every lost deal.
    rows = (month_totals.lost_rows(*_months(filters)) if months_serve(principal, filters)
            else lost_counted(principal=principal, filters=filters))
    labels = dict(LostReason.choices)
    total = sum(row["n"] for row in rows)
    out = [{"code": row["lost_reason_code"], "label": labels.get(row["lost_reason_code"], "—"), "count": row["n"],
            "value": Decimal(row["value"]).quantize(Decimal("0.01")),
            "share": Decimal(100 * row["n"]) / total if total else Decimal(0)} for row in rows]
    return sorted(out, key=lambda r: (-r["count"], str(r["label"])))


def lost_counted(*, principal, filters: dict) -> list[dict]:
    """The lost deals grouped by reason from the deals themselves (``{"lost_reason_code", "n", "value"}``)."""
    qs = apply_filters(Opportunity.objects.visible_to(principal), filters).order_by().filter(stage=Stage.LOST)
    if since := parse_month(filters.get("from_month")):
        qs = qs.filter(closed_on__gte=since)
    if until := parse_month(filters.get("to_month")):
        qs = qs.filter(closed_on__lt=next_month(until))
    return list(qs.values("lost_reason_code").annotate(n=Count("pk"), value=Coalesce(Sum("value"), ZERO)))


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

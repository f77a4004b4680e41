"""The metric registry: how each goal actual is computed from the data, never typed in.

A metric answers two questions with one aggregate query each:

- ``total(distributor_ids, start, end) -> Decimal``: the value over a set of distributors (``None``: the whole
  network, including manufacturer-led business where the source has it);
- ``by_distributor(distributor_ids, start, end) -> {distributor_id: Decimal}``: the same, grouped.

A snapshot metric (the weighted pipeline: deals open now) may name a ``current`` source, a stored roll-up kept
by the owning app, read instead of aggregating the rows when the period ends today or later (issue 22). A metric
may name a ``stored`` roll-up that answers some periods exactly (the corporate revenue: whole months, from the
sales roll-up of sales/rollups.py) and falls back to the aggregate for the others. Metrics over the same rows may
share one statement (``combined``: the won deals' count and distinct clients, deals/won.py), read once per cockpit.

Each source is a selector of the app that owns the data (deals, channel, sales), written with that app's own
stage and status constants: renaming a stage changes the selector with it, where a string lookup here used to turn
a goal's actual silently into "not available". A goal whose metric key is no longer registered still shows
"not available" (``get`` answers None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keychannel.channel import selectors as channel_selectors
from keychannel.deals import selectors as deal_selectors
from keychannel.deals.won import won_figure, won_figure_rows
from keychannel.sales import selectors as sales_selectors

ZERO = Decimal("0")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "count" or "money"
    source: str  # the app the data comes from
    queryset: Callable  # () -> the source's base queryset (unscoped: callers scope by distributor)
    period: Callable  # (start, end) -> Q selecting the rows of the period
    aggregate: Callable  # () -> aggregate expression
    distributor_field: str = "distributor_id"
    # (distributor_ids or None, grouped=bool) -> the value now (grouped: {distributor_id: value}): answers a period
    # that ends today or later from a stored roll-up (the same figure as ``aggregate``, without reading the rows).
    current: Callable | None = None
    # (distributor_ids or None, start, end, grouped=bool) -> the value from a stored roll-up kept by the owning app,
    # or None when the roll-up cannot answer that period exactly (then the rows are aggregated).
    stored: Callable | None = None
    # (distributor_ids or None, start, end, grouped=bool) -> the value read off one statement the owning app shares
    # between several metrics (and its cockpit panels) of the same rows and period, read once per cockpit.
    combined: Callable | None = None
    # The same three as a query: (distributor_ids or None[, start, end], grouped=bool) -> (rows, aggregate), or None
    # when that source cannot answer as one query (read_many then reads the value as total/by_distributor do).
    current_rows: Callable | None = None
    stored_rows: Callable | None = None
    combined_rows: Callable | None = None

    def reads_now(self, end: date) -> bool:
        """Whether a period ending on ``end`` is answered by the ``current`` source (the value now)."""
        return self.current is not None and end >= timezone.localdate()

    def _stored(self, distributor_ids, start: date, end: date, *, grouped: bool):
        return None if self.stored is None else self.stored(distributor_ids, start, end, grouped=grouped)

    def _filtered(self, distributor_ids, start: date, end: date):
        qs = self.queryset().filter(self.period(start, end))
        if distributor_ids is not None:
            qs = qs.filter(**{f"{self.distributor_field}__in": list(distributor_ids)})
        return qs

    def total(self, distributor_ids, start: date, end: date) -> Decimal:
        if distributor_ids is not None and not distributor_ids:
            return ZERO
        if self.reads_now(end):
            return Decimal(self.current(distributor_ids, grouped=False))
        stored = self._stored(distributor_ids, start, end, grouped=False)
        if stored is not None:
            return Decimal(stored)
        if self.combined is not None:
            return self.combined(distributor_ids, start, end, grouped=False)
        value = self._filtered(distributor_ids, start, end).aggregate(value=self.aggregate())["value"]
        return Decimal(value or 0)

    def by_distributor(self, distributor_ids, start: date, end: date) -> dict[int, Decimal]:
        if distributor_ids is not None and not distributor_ids:
            return {}
        if self.reads_now(end):
            return {pk: value for pk, value in self.current(distributor_ids, grouped=True).items() if pk is not None}
        stored = self._stored(distributor_ids, start, end, grouped=True)
        if stored is not None:
            return {pk: value for pk, value in stored.items() if pk is not None}
        if self.combined is not None:
            combined = self.combined(distributor_ids, start, end, grouped=True)
            return {pk: value for pk, value in combined.items() if pk is not None}
        rows = (
            self._filtered(distributor_ids, start, end)
            .order_by()
            .values(self.distributor_field)
            .annotate(value=self.aggregate())
            .values_list(self.distributor_field, "value")
        )
        return {pk: Decimal(value or 0) for pk, value in rows if pk is not None}

    def rows(self, distributor_ids, start: date, end: date, *, grouped: bool):
        """``(rows, aggregate)``: the query that answers :meth:`total` (``grouped``: :meth:`by_distributor`) for
        this period, from the same source those read; None when the source has no query form."""
        if self.reads_now(end):
            return None if self.current_rows is None else self.current_rows(distributor_ids)
        if self.stored is not None:
            rows = None if self.stored_rows is None else self.stored_rows(distributor_ids, start, end)
            if rows is not None or self.stored_rows is None:
                return rows
        if self.combined is not None:
            return None if self.combined_rows is None else self.combined_rows(distributor_ids, start, end,
                                                                               grouped=grouped)
        return self._filtered(distributor_ids, start, end).order_by(), self.aggregate()

    @property
    def is_money(self) -> bool:
        return self.unit == "money"


# --- sources -----------------------------------------------------------------------------------------------


def _enrollments():
    from .models import Enrollment

    return Enrollment.objects.filter(completed_at__isnull=False).exclude(course__certificate_title="")


def _between(field):
    return lambda start, end: Q(**{f"{field}__gte": start, f"{field}__lte": end})


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    METRICS[metric.key] = metric
    return metric


register(Metric(
    key="new_key_accounts", label=_("New key accounts"), unit="count", source="deals", queryset=deal_selectors.won_opportunities,
    period=_between("closed_on"), aggregate=lambda: Count("client", distinct=True), combined=won_figure("clients"),
    combined_rows=won_figure_rows("clients"),
))
register(Metric(
    key="won_contracts", label=_("Won corporate contracts"), unit="count", source="deals", queryset=deal_selectors.won_opportunities,
    period=_between("closed_on"), aggregate=lambda: Count("pk"), combined=won_figure("count"),
    combined_rows=won_figure_rows("count"),
))
register(Metric(
    key="corporate_revenue", label=_("Corporate revenue (RON)"), unit="money", source="sales", queryset=sales_selectors.applied_sales_lines,
    period=_between("date"), aggregate=lambda: Sum("amount"), stored=sales_selectors.revenue_stored,
    stored_rows=sales_selectors.revenue_stored_rows,
))
register(Metric(
    key="weighted_pipeline", label=_("Weighted pipeline (RON)"), unit="money", source="deals", queryset=deal_selectors.open_opportunities,
    # A snapshot: deals open now that were opened by the end of the period, weighted by their probability.
    period=lambda start, end: Q(created_at__date__lte=end),
    aggregate=lambda: Sum(deal_selectors.WEIGHTED), current=deal_selectors.open_weighted,
    current_rows=deal_selectors.open_weighted_rows,
))
register(Metric(
    key="approved_registrations", label=_("Approved registrations"), unit="count", source="channel",
    queryset=channel_selectors.registrations_approved_in_their_period, period=_between("decided_at__date"), aggregate=lambda: Count("pk"),
))
register(Metric(
    key="people_certified", label=_("People certified"), unit="count", source="program", queryset=_enrollments,
    period=_between("completed_at__date"), aggregate=lambda: Count("user", distinct=True),
))


# Every branch's value as one type (a UNION ALL takes its column types from its branches); read_many gives each value
# back the scale its own aggregate has, as total/by_distributor return it.
_VALUE = DecimalField(max_digits=38, decimal_places=8)


def _exact(value, field) -> Decimal:
    if value is None:  # no row: Decimal(0), as total/by_distributor answer (a stored sum coalesces to its own 0)
        return ZERO
    if isinstance(field, DecimalField):
        return Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
    return Decimal(int(value))


def read_many(grouped: dict[tuple, set], totals: set[tuple]) -> tuple[dict[tuple, dict | None], dict[tuple, Decimal | None]]:
    """Goal actuals of several metrics and periods at once: ``grouped`` maps ``(metric key, start, end)`` to the
    distributors to read by distributor (``{distributor_id: value}``), ``totals`` are read for the whole network.
    Those a metric answers as a query (:meth:`Metric.rows`) are read in one UNION ALL statement: one statement per
    metric and period was a round trip each, five of a head's goals panel and of a channel manager's ranking
    (issue 22). The others, and an unknown metric (None: "not available"), are read as before."""
    out_grouped: dict[tuple, dict | None] = {}
    out_totals: dict[tuple, Decimal | None] = {}
    branches = []  # (grouped, key, output field of the aggregate, query)
    for key, ids in [(k, v) for k, v in grouped.items()] + [(k, None) for k in totals]:
        is_grouped, metric = ids is not None, get(key[0])
        out = out_grouped if is_grouped else out_totals
        rows = None if metric is None or is_grouped and not ids else metric.rows(ids, key[1], key[2],
                                                                                 grouped=is_grouped)
        if rows is None:
            out[key] = None if metric is None else {} if is_grouped and not ids else \
                metric.by_distributor(ids, key[1], key[2]) if is_grouped else metric.total(None, key[1], key[2])
            continue
        qs, aggregate = rows
        value = Cast(aggregate, _VALUE)
        if is_grouped:
            qs = qs.values(metric.distributor_field).annotate(branch=Value(len(branches)), value=value) \
                .values_list("branch", metric.distributor_field, "value")
            out[key] = {}
        else:
            qs = qs.values(branch=Value(len(branches))).annotate(
                distributor=Value(None, output_field=IntegerField()), value=value).values_list(
                "branch", "distributor", "value")
            out[key] = ZERO
        # The aggregate's own output field, as the branch resolved it (a probe annotate cloned the query again).
        field = qs.query.annotations["value"].get_source_expressions()[0].output_field
        branches.append((is_grouped, key, field, qs))
    if branches:
        query = branches[0][3].union(*(b[3] for b in branches[1:]), all=True) if len(branches) > 1 else branches[0][3]
        for branch, distributor_id, value in query:
            is_grouped, key, field, _qs = branches[branch]
            if is_grouped and distributor_id is not None:
                out_grouped[key][distributor_id] = _exact(value, field)
            elif not is_grouped:
                out_totals[key] = _exact(value, field)
    return out_grouped, out_totals


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in METRICS.values()]


def get(key: str) -> Metric | None:
    return METRICS.get(key)


__all__ = ["METRICS", "Metric", "get", "metric_choices", "read_many", "register"]

"""The network's deals per month (issue 22): what the whole network's forecast by month and the forecast page's lost
reasons read instead of grouping every deal (300,000 at full size, on every request: 126 ms, 31× the bare request).

One row per (shard, stage, month, reason): the deals of that stage whose month is that month, their number, value and
weighted value. A deal's month is the one the forecast counts it in: an open deal's expected close month, a won or
lost deal's close month (none: no such day). ``reason`` is a lost deal's reason code (the lost reasons' key), empty
for every other stage. The shard is the deal's distributor id modulo ``stage_totals.SHARDS`` (direct deals: shard 0),
as in deals/stage_totals.py, so that deal writes of different distributors rarely wait on one row. A month's figures
are the sum of at most ``SHARDS`` rows per stage, whatever the size of the network; the rows grow with the months
the deals span, not with the deals or the distributors.

Kept with the pipeline roll-up, from the same changes (``rollups.apply_many``, so on every path that changes a deal:
form, kanban, API, bulk, import, admin, task), in one fixed order, after the roll-up's and the per-stage rows;
``manage.py rollups_rebuild`` recounts it and ``--check`` compares it with a recount (``rollups.differences``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import increment, replace_rows

from .choices import OPEN_STAGES, Stage
from .stage_totals import shard_of

ZERO = (0, Decimal("0.00"), Decimal("0.0000"))
HUNDRED = Decimal(100)
_OPEN = {str(stage) for stage in OPEN_STAGES}


class PipelineMonthTotal(models.Model):
    """The network's deals of one stage and month (and, lost, one reason), in one of ``stage_totals.SHARDS`` shards
    by distributor. Derived data: rebuilt from the deals at any time (``manage.py rollups_rebuild``)."""

    shard = models.PositiveSmallIntegerField(_("shard"))
    stage = models.CharField(_("stage"), max_length=20)
    month = models.DateField(_("month"), null=True, blank=True)
    reason = models.CharField(_("why lost"), max_length=20, blank=True, default="")
    deal_count = models.IntegerField(_("deals"), default=0)
    amount = models.DecimalField(_("value"), max_digits=22, decimal_places=2, default=Decimal("0"))
    weighted = models.DecimalField(_("weighted value"), max_digits=24, decimal_places=4, default=Decimal("0"))

    class Meta:
        ordering = ["stage", "month", "reason", "shard"]
        verbose_name = _("network pipeline month")
        verbose_name_plural = _("network pipeline months")
        constraints = [
            models.UniqueConstraint(fields=["stage", "month", "reason", "shard"], condition=Q(month__isnull=False),
                                    name="deals_month_total_bucket"),
            models.UniqueConstraint(fields=["stage", "reason", "shard"], condition=Q(month__isnull=True),
                                    name="deals_month_total_nodate_bucket"),
            models.CheckConstraint(condition=Q(deal_count__gte=0), name="deals_month_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.stage} · {self.month or '—'} · {self.reason or '—'} · {self.shard}: {self.deal_count}"


def _month(day) -> datetime.date | None:
    if day is None:
        return None
    if isinstance(day, datetime.datetime):
        day = day.date()
    return day.replace(day=1)


def bucket_of(key) -> tuple | None:
    """``(shard, stage, month, reason)`` of a deal's roll-up key (deals/rollups.py ``Key``; None: none)."""
    if key is None:
        return None
    stage = str(key.stage)
    if stage in _OPEN:
        return (shard_of(key.distributor_id), stage, _month(key.expected_close_on), "")
    reason = (key.lost_reason_code or "") if stage == Stage.LOST else ""
    return (shard_of(key.distributor_id), stage, _month(key.closed_on), reason)


def _sort_key(bucket) -> tuple:
    shard, stage, month, reason = bucket
    return (stage, month is not None, month or datetime.date.min, reason, shard)


def apply(pairs) -> None:
    """Deals changed from ``before`` to ``after`` keys (None: none): their rows follow, in one fixed order."""
    deltas: dict = {}
    for before, after in pairs:
        for key, sign in ((before, -1), (after, +1)):
            if (bucket := bucket_of(key)) is None:
                continue
            entry = deltas.setdefault(bucket, [0, Decimal("0"), Decimal("0")])
            entry[0] += sign
            entry[1] += sign * Decimal(key.value)
            entry[2] += sign * key.weighted
    for bucket in sorted(deltas, key=_sort_key):
        count, amount, weighted = deltas[bucket]
        shard, stage, month, reason = bucket
        where = {"shard": shard, "stage": stage, "reason": reason}
        where.update({"month": month} if month is not None else {"month__isnull": True})
        increment(PipelineMonthTotal.objects, where, {"deal_count": count, "amount": amount, "weighted": weighted},
                  {"shard": shard, "stage": stage, "month": month, "reason": reason})


# --- the recount -----------------------------------------------------------------------------------------------


def recount(opportunity_model) -> dict:
    """``{(shard, stage, month, reason): (count, amount, weighted)}`` counted from the deals (two grouped queries:
    the open deals by expected close month, the closed ones by close month)."""
    weighted = ExpressionWrapper(F("value") * F("probability"), output_field=DecimalField(max_digits=24, decimal_places=2))
    deals = opportunity_model._base_manager.order_by()
    figures = {"n": Count("pk"), "amount": Sum("value"), "weighted": Sum(weighted)}
    open_rows = (deals.filter(stage__in=OPEN_STAGES).values("distributor_id", "stage", m=TruncMonth("expected_close_on"))
                 .annotate(**figures))
    closed_rows = (deals.exclude(stage__in=OPEN_STAGES)
                   .values("distributor_id", "stage", "lost_reason_code", m=TruncMonth("closed_on")).annotate(**figures))
    out: dict = {}
    for rows in (open_rows, closed_rows):
        for r in rows:
            reason = (r.get("lost_reason_code") or "") if r["stage"] == Stage.LOST else ""
            bucket = (shard_of(r["distributor_id"]), r["stage"], _month(r["m"]), reason)
            n, amount, weighted_sum = out.get(bucket, (0, Decimal("0"), Decimal("0")))
            out[bucket] = (n + r["n"], amount + Decimal(r["amount"] or 0),
                           weighted_sum + Decimal(r["weighted"] or 0) / HUNDRED)
    return out


def rows_of(counted: dict, model=None) -> list:
    model = model or PipelineMonthTotal
    return [model(shard=shard, stage=stage, month=month, reason=reason, deal_count=n, amount=amount, weighted=weighted)
            for (shard, stage, month, reason), (n, amount, weighted)
            in sorted(counted.items(), key=lambda item: _sort_key(item[0]))]


def rebuild(opportunity_model=None, model=None) -> int:
    """Replace the rows by a recount (the table locked first). ``rollups.rebuild`` rebuilds them with the roll-up's
    tables, in the writers' order; alone, only the fill migration (0023) does, with its historical models."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    return replace_rows(model or PipelineMonthTotal, lambda: rows_of(recount(opportunity_model), model))


def differences(opportunity_model) -> list[tuple]:
    """``[(("month", shard, stage, month, reason), stored, counted)]`` where the rows differ from a recount."""
    cents, basis = Decimal("0.01"), Decimal("0.0001")
    counted = {("month", *bucket): (n, amount.quantize(cents), weighted.quantize(basis))
               for bucket, (n, amount, weighted) in recount(opportunity_model).items()}
    stored = {("month", r.shard, r.stage, r.month, r.reason): (r.deal_count, Decimal(r.amount).quantize(cents),
                                                                Decimal(r.weighted).quantize(basis))
              for r in PipelineMonthTotal.objects.all()}
    return compare(stored, counted, ZERO, key=lambda bucket: _sort_key(bucket[1:]))


# --- reads -----------------------------------------------------------------------------------------------------


def _in_months(qs, since: datetime.date | None, until_excluded: datetime.date | None):
    if since:
        qs = qs.filter(month__gte=since)
    if until_excluded:
        qs = qs.filter(month__lt=until_excluded)
    return qs


def forecast_rows(since=None, until_excluded=None) -> tuple[list[dict], list[dict]]:
    """The whole network's forecast by month: ``(open_rows, won_rows)`` as ``forecast.forecast`` groups the deals
    (``{"key": month, "n", "pipeline", "weighted"}`` / ``{"key", "n", "won"}``), from one grouped read of at most
    ``SHARDS`` rows per stage and month."""
    qs = _in_months(PipelineMonthTotal.objects.order_by().filter(stage__in=[*OPEN_STAGES, Stage.WON]),
                    since, until_excluded)
    open_rows: dict = {}
    won_rows = []
    for r in qs.values("month", "stage").annotate(n=Sum("deal_count"), amount=Sum("amount"), weighted=Sum("weighted")):
        if not r["n"]:
            continue  # every deal of the row left it
        if r["stage"] == Stage.WON:
            won_rows.append({"key": r["month"], "n": r["n"], "won": r["amount"]})
            continue
        entry = open_rows.setdefault(r["month"], {"key": r["month"], "n": 0, "pipeline": Decimal("0"),
                                                  "weighted": Decimal("0")})
        entry["n"] += r["n"]
        entry["pipeline"] += _decimal(r["amount"])
        entry["weighted"] += _decimal(r["weighted"])
    return list(open_rows.values()), won_rows


def lost_rows(since=None, until_excluded=None) -> list[dict]:
    """The whole network's lost deals by reason (``{"lost_reason_code", "n", "value"}``), as
    ``forecast.lost_reasons`` groups them, from the lost rows of the months asked."""
    qs = _in_months(PipelineMonthTotal.objects.order_by().filter(stage=Stage.LOST), since, until_excluded)
    return [{"lost_reason_code": r["reason"], "n": r["n"], "value": _decimal(r["value"])}
            for r in qs.values("reason").annotate(n=Sum("deal_count"), value=Sum("amount")) if r["n"]]


def _decimal(value) -> Decimal:
    if isinstance(value, float):  # SQLite sums decimals as floats
        return Decimal(repr(value))
    return Decimal(value or 0)

"""The network's deals per stage (issue 22): what the whole network's kanban column totals, open pipeline and deal
count read instead of summing every row of the pipeline roll-up (deals/rollups.py), whose rows grow with the network
(one per distributor × stage × currency: 14,000 at 2,000 distributors, summed in 4.5 ms on every admin board).

One row per (shard, stage, currency), the shard being the deal's distributor id modulo :data:`SHARDS` (direct deals:
shard 0). A stage's network total is the sum of its at most ``SHARDS`` rows per currency, whatever the size of the
network. The shards exist so that deal writes of different distributors rarely wait on one row: a single row per
stage would serialise every deal write of the network in that stage until its transaction commits.

Kept with the pipeline roll-up, from the same differences (``rollups.apply_deltas``, so on every path that changes a
deal: form, kanban, API, bulk, import, admin, task), in one fixed order after the roll-up's own rows;
``manage.py rollups_rebuild`` recounts it and ``--check`` compares it with a recount (``rollups.differences``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import increment, replace_rows

SHARDS = 16
ZERO = (0, Decimal("0.00"), Decimal("0.0000"))


def shard_of(distributor_id: int | None) -> int:
    return (distributor_id or 0) % SHARDS


class PipelineStageTotal(models.Model):
    """The network's deals of one stage and currency, in one of :data:`SHARDS` shards by distributor. Derived data:
    rebuilt from the deals at any time (``manage.py rollups_rebuild``)."""

    shard = models.PositiveSmallIntegerField(_("shard"))
    stage = models.CharField(_("stage"), max_length=20)
    currency = models.CharField(_("currency"), max_length=3)
    deal_count = models.IntegerField(_("deals"), default=0)
    amount = models.DecimalField(_("value"), max_digits=22, decimal_places=2, default=Decimal("0"))
    weighted = models.DecimalField(_("weighted value"), max_digits=24, decimal_places=4, default=Decimal("0"))

    class Meta:
        ordering = ["stage", "currency", "shard"]
        verbose_name = _("network pipeline total")
        verbose_name_plural = _("network pipeline totals")
        constraints = [
            models.UniqueConstraint(fields=["stage", "currency", "shard"], name="deals_stage_total_bucket"),
            models.CheckConstraint(condition=models.Q(deal_count__gte=0), name="deals_stage_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.stage} · {self.currency} · {self.shard}: {self.deal_count}"


def _key(bucket) -> tuple:
    distributor_id, stage, currency = bucket
    return (shard_of(distributor_id), stage, currency)


def by_shard(figures: dict) -> dict:
    """``{(shard, stage, currency): [count, amount, weighted]}`` of the roll-up's ``{bucket: figures}``."""
    out: dict = {}
    for bucket, (count, amount, weighted) in figures.items():
        entry = out.setdefault(_key(bucket), [0, Decimal("0"), Decimal("0")])
        entry[0] += count
        entry[1] += amount
        entry[2] += weighted
    return out


def apply(deltas: dict) -> None:
    """Add the roll-up's ``{bucket: [count, amount, weighted]}`` differences to their shards' rows, in one order."""
    for (shard, stage, currency), (count, amount, weighted) in sorted(by_shard(deltas).items()):
        row = {"shard": shard, "stage": stage, "currency": currency}
        increment(PipelineStageTotal.objects, row, {"deal_count": count, "amount": amount, "weighted": weighted}, row)


def rows_of(counted: dict, model=None) -> list:
    """The unsaved rows of the roll-up's recount ``counted`` (``{bucket: (count, amount, weighted)}``), in order."""
    model = model or PipelineStageTotal
    return [model(shard=shard, stage=stage, currency=currency, deal_count=n, amount=amount, weighted=weighted)
            for (shard, stage, currency), (n, amount, weighted) in sorted(by_shard(counted).items())]


def rebuild(recount, model=None) -> int:
    """Replace the rows by the shards' sums of ``recount()`` (the roll-up's ``{bucket: (count, amount, weighted)}``,
    counted from the deals once the table is locked, so a concurrent change waits and then adds its own). Only the
    fill migration (0021) rebuilds them alone: ``rollups.rebuild`` writes them from its own recount."""
    return replace_rows(model or PipelineStageTotal, lambda: rows_of(recount(), model))


def differences(counted: dict) -> list[tuple]:
    """``[(("shard", shard, stage, currency), stored, counted)]`` where the rows differ from the recount."""
    cents, basis = Decimal("0.01"), Decimal("0.0001")
    shards = {("shard", *key): (n, amount.quantize(cents), weighted.quantize(basis))
              for key, (n, amount, weighted) in by_shard(counted).items()}
    stored = {("shard", r.shard, r.stage, r.currency): (r.deal_count, Decimal(r.amount).quantize(cents),
                                                         Decimal(r.weighted).quantize(basis))
              for r in PipelineStageTotal.objects.all()}
    return compare(stored, shards, ZERO)


def network_by_stage(stages=None):
    """The network's ``stage`` rows with ``n``, ``total`` and ``weighted`` summed over shards and currencies (a
    values queryset of at most ``SHARDS`` rows per stage and currency)."""
    qs = PipelineStageTotal.objects.order_by()
    if stages is not None:
        qs = qs.filter(stage__in=stages)
    return qs.values("stage").annotate(n=Sum("deal_count"), total=Sum("amount"), weighted=Sum("weighted"))


def network_rows(stages=None):
    """The rows themselves (for ``core.pagination.sum_beyond`` over ``deal_count``)."""
    qs = PipelineStageTotal.objects.order_by()
    return qs if stages is None else qs.filter(stage__in=stages)

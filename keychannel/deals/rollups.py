"""The pipeline roll-up: open and closed deals counted and summed per distributor × stage × currency (issue 22).
The won deals' roll-ups (deals/won_rollups.py) are kept from the same changes: :func:`apply_many` passes them on.

One row per (distributor or direct, stage, currency) holds the number of deals, their value and their weighted
value (value × probability / 100, kept to 4 decimals so it is exact). The forecast by distributor and the kanban's
column totals read these few thousand rows instead of aggregating every deal.

The roll-up is kept at the model layer, so every path that changes a deal keeps it right (the services, the admin,
the demo, factories, a queryset ``update``): ``Opportunity.save`` reads the deal's stored key under a row lock and
applies the difference; deleting a deal (a model or a queryset delete) takes it out in ``pre_delete``; the deals
queryset's ``update``/``bulk_update``/``bulk_create`` apply the difference of every row they change. Rows are
changed with ``F()`` increments in a fixed order (so two transactions never wait on each other's rows), and a
missing row is inserted with ``ON CONFLICT DO NOTHING`` first, so concurrent changes add up. Writes that bypass
the ORM (the bench data set's SQL, a raw migration) end with :func:`rebuild` (``manage.py rollups_rebuild``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import models
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from keychannel.core.cockpit import once
from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import increment, replace_rows, replace_tables
from keychannel.core.scoping import ScopedQuerySet, frozen_ids, in_lookup

from . import month_totals, stage_totals
from .choices import OPEN_STAGES, Stage

# The deal fields the roll-ups depend on: changing any of them moves money between rows (the pipeline's: the first
# five; the won clients': distributor, stage, client and close day; the network's months (deals/month_totals.py):
# distributor, stage, value, probability, close day, expected close day and lost reason).
INPUT_FIELDS = ("distributor_id", "stage", "currency", "value", "probability", "client_id", "closed_on",
                "expected_close_on", "lost_reason_code")
INPUT_NAMES = {*INPUT_FIELDS, "distributor", "client"}  # as save(update_fields=…) may name them
HUNDRED = Decimal(100)


class Key(NamedTuple):
    """One deal's place and weight in the roll-up."""

    distributor_id: int | None
    stage: str
    currency: str
    value: Decimal
    probability: int
    client_id: int | None = None
    closed_on: datetime.date | None = None
    expected_close_on: datetime.date | None = None
    lost_reason_code: str = ""

    @property
    def bucket(self) -> tuple:
        return (self.distributor_id, self.stage, self.currency)

    @property
    def won_year(self) -> tuple | None:
        """``(client_id, year)`` whose won-clients rows count this deal (None: it is not won)."""
        if self.stage != Stage.WON or self.closed_on is None or self.client_id is None:
            return None
        return (self.client_id, self.closed_on.year)

    @property
    def weighted(self) -> Decimal:
        return Decimal(self.value) * self.probability / HUNDRED


def _day(value) -> datetime.date | None:
    if isinstance(value, str):  # (assigned but not read back: stored as the day it names)
        return datetime.date.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def key_of(deal) -> Key:
    return Key(deal.distributor_id, str(deal.stage), deal.currency, Decimal(deal.value), int(deal.probability),
               deal.client_id, _day(deal.closed_on), _day(deal.expected_close_on), deal.lost_reason_code or "")


def rounded_by_the_database(deal) -> bool:
    """A value with more than 2 decimals is rounded as it is stored (each backend its own way): read it back."""
    return Decimal(deal.value).as_tuple().exponent < -2


class RollupQuerySet(ScopedQuerySet):
    def visible_to(self, principal):
        """Whole-network figures: only principals who see every deal read the roll-up directly. (The selectors use
        it for them and count live for everybody else, whose deals also depend on mentor, KAM and scope.)"""
        if not principal.is_authenticated or principal.distributor_ids is not None:
            return self.none()
        return self.all()


class PipelineRollup(models.Model):
    """Deals counted and summed per distributor (empty: direct), stage and currency. Derived data: rebuilt from the
    deals at any time (``manage.py rollups_rebuild``); the deals keep the history."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("distributor"),
    )
    stage = models.CharField(_("stage"), max_length=20)
    currency = models.CharField(_("currency"), max_length=3)
    deal_count = models.IntegerField(_("deals"), default=0)
    amount = models.DecimalField(_("value"), max_digits=22, decimal_places=2, default=Decimal("0"))
    weighted = models.DecimalField(_("weighted value"), max_digits=24, decimal_places=4, default=Decimal("0"))

    objects = RollupQuerySet.as_manager()

    class Meta:
        ordering = ["distributor_id", "stage", "currency"]
        verbose_name = _("pipeline roll-up")
        verbose_name_plural = _("pipeline roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "stage", "currency"], condition=Q(distributor__isnull=False),
                                    name="deals_rollup_bucket"),
            models.UniqueConstraint(fields=["stage", "currency"], condition=Q(distributor__isnull=True),
                                    name="deals_rollup_direct_bucket"),
            models.CheckConstraint(condition=Q(deal_count__gte=0), name="deals_rollup_count_not_negative"),
        ]
        indexes = [models.Index(fields=["stage", "distributor"], name="deals_rollup_stage_dist")]

    def __str__(self):
        return f"{self.distributor_id or '—'} · {self.stage} · {self.currency}: {self.deal_count}"


# --- applying changes ------------------------------------------------------------------------------------------


def _bucket_filter(bucket) -> dict:
    distributor_id, stage, currency = bucket
    if distributor_id is None:
        return {"distributor__isnull": True, "stage": stage, "currency": currency}
    return {"distributor_id": distributor_id, "stage": stage, "currency": currency}


def _sort_key(bucket):
    distributor_id, stage, currency = bucket
    return (distributor_id is not None, distributor_id or 0, stage, currency)


def apply_deltas(deltas: dict) -> None:
    """Add ``{bucket: [count, amount, weighted]}`` to the roll-up, bucket by bucket in one fixed order."""
    for bucket in sorted(deltas, key=_sort_key):
        count, amount, weighted = deltas[bucket]
        distributor_id, stage, currency = bucket
        increment(PipelineRollup.objects, _bucket_filter(bucket),
                  {"deal_count": count, "amount": amount, "weighted": weighted},
                  {"distributor_id": distributor_id, "stage": stage, "currency": currency})
    # The network's per-stage rows (deals/stage_totals.py), after every roll-up row: one order for every writer.
    stage_totals.apply(deltas)


def add(deltas: dict, key: Key | None, sign: int) -> None:
    if key is None:
        return
    entry = deltas.setdefault(key.bucket, [0, Decimal("0"), Decimal("0")])
    entry[0] += sign
    entry[1] += sign * Decimal(key.value)
    entry[2] += sign * key.weighted


def apply(before: Key | None, after: Key | None, *, won: bool = True) -> None:
    """One deal changed from ``before`` to ``after`` (None: it did not exist / no longer exists). ``won=False``:
    the pipeline only (a deal about to be deleted: the won roll-ups recount once it is gone, ``post_delete``)."""
    apply_many([(before, after)], won=won)


def apply_many(pairs: Iterable[tuple[Key | None, Key | None]], *, won: bool = True) -> None:
    from .won_rollups import apply_won  # (it builds on this module's queryset)

    deltas: dict = {}
    pairs = list(pairs)
    for before, after in pairs:
        if before != after:
            add(deltas, before, -1)
            add(deltas, after, +1)
    apply_deltas(deltas)
    # The network's months (deals/month_totals.py), after the roll-up's and the per-stage rows: one order for all.
    month_totals.apply(pairs)
    if won:
        apply_won(pairs)


def stored_keys(model, pks) -> dict:
    """The stored keys of these deals, their rows locked (the caller is in a transaction)."""
    keys = {}
    pks = list(pks)
    for start in range(0, len(pks), 500):
        chunk = pks[start:start + 500]
        for pk, *fields in (model._base_manager.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
                            .values_list("pk", *INPUT_FIELDS)):
            keys[pk] = Key(fields[0], fields[1], fields[2], Decimal(fields[3]), int(fields[4]), fields[5], fields[6],
                           fields[7], fields[8] or "")
    return keys


# --- the recount ----------------------------------------------------------------------------------------------


def recount(opportunity_model) -> dict:
    """``{bucket: (count, amount, weighted)}`` counted from the deals (one grouped query)."""
    weighted = ExpressionWrapper(F("value") * F("probability"), output_field=DecimalField(max_digits=24, decimal_places=2))
    rows = (opportunity_model._base_manager.order_by().values("distributor_id", "stage", "currency")
            .annotate(n=Count("pk"), amount=Sum("value"), weighted=Sum(weighted)))
    return {(r["distributor_id"], r["stage"], r["currency"]):
            (r["n"], Decimal(r["amount"] or 0), Decimal(r["weighted"] or 0) / HUNDRED) for r in rows}


def _rows_of(counted: dict, rollup_model) -> list:
    return [rollup_model(distributor_id=d, stage=s, currency=c, deal_count=n, amount=amount, weighted=weighted)
            for (d, s, c), (n, amount, weighted) in sorted(counted.items(), key=lambda item: _sort_key(item[0]))]


def rebuild(opportunity_model=None, rollup_model=None) -> int:
    """Replace the roll-ups by a recount of every deal; returns the number of rows. Concurrent deal changes wait for
    it (PostgreSQL: the roll-up tables are locked against writes first) and then add their own change on top.
    Takes the models so the data migrations (0015, 0018) can call it with their historical models: with models,
    only the pipeline roll-up is rebuilt (0015 predates the won roll-ups; 0019 calls ``won_rollups.rebuild``)."""
    if opportunity_model is not None:
        rollup_model = rollup_model or PipelineRollup
        return replace_rows(rollup_model, lambda: _rows_of(recount(opportunity_model), rollup_model))
    from . import won_rollups
    from .models import Opportunity

    def both():  # the deals counted once (the tables locked): the roll-up's rows, the network's per stage and month
        counted = recount(Opportunity)
        return [_rows_of(counted, PipelineRollup), stage_totals.rows_of(counted),
                month_totals.rows_of(month_totals.recount(Opportunity))]

    # Locked in the order apply_many writes them: the roll-up's rows, the network's per-stage rows, its months.
    rows = replace_tables([PipelineRollup, stage_totals.PipelineStageTotal, month_totals.PipelineMonthTotal], both)
    return rows + won_rollups.rebuild(Opportunity)


def differences(opportunity_model=None) -> list[tuple]:
    """Buckets where the stored roll-ups differ from a recount: ``[(bucket, stored, counted)]`` (empty when right),
    the pipeline's first, then the won deals' (deals/won_rollups.py). Zero rows (a bucket all of whose deals left) equal a missing one."""
    from . import won_rollups

    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    cents, basis = Decimal("0.01"), Decimal("0.0001")
    recounted = recount(opportunity_model)
    counted = {bucket: (n, amount.quantize(cents), weighted.quantize(basis))
               for bucket, (n, amount, weighted) in recounted.items()}
    stored = {(r.distributor_id, r.stage, r.currency): (r.deal_count, Decimal(r.amount).quantize(cents),
                                                        Decimal(r.weighted).quantize(basis))
              for r in PipelineRollup._base_manager.all()}
    return (compare(stored, counted, (0, Decimal("0.00"), Decimal("0.0000")), key=_sort_key)
            + stage_totals.differences(recounted) + month_totals.differences(opportunity_model)
            + won_rollups.differences(opportunity_model))


# --- reads ----------------------------------------------------------------------------------------------------


def totals_by_stage(*, distributor_id=None, direct: bool = False) -> dict:
    """``{stage: (count, amount, weighted)}`` over the whole network, or one distributor, or the direct deals."""
    qs = PipelineRollup.objects.order_by()
    if direct:
        qs = qs.filter(distributor__isnull=True)
    elif distributor_id is not None:
        qs = qs.filter(distributor_id=distributor_id)
    else:  # the whole network: its per-stage rows (deals/stage_totals.py), not every distributor's
        qs = stage_totals.network_rows()
    out = defaultdict(lambda: (0, Decimal("0"), Decimal("0")))
    for row in qs.values("stage").annotate(n=Sum("deal_count"), amount=Sum("amount"), weighted=Sum("weighted")):
        out[row["stage"]] = (row["n"] or 0, Decimal(row["amount"] or 0), Decimal(row["weighted"] or 0))
    return out


def _open_totals() -> tuple[int, Decimal, Decimal]:
    row = stage_totals.network_rows(OPEN_STAGES).aggregate(
        n=Sum("deal_count"), amount=Sum("amount"), weighted=Sum("weighted"))
    return row["n"] or 0, Decimal(row["amount"] or 0), Decimal(row["weighted"] or 0)


def open_totals() -> tuple[int, Decimal, Decimal]:
    """``(count, value, weighted)`` of every open deal in the network (the pipeline now): read once per cockpit."""
    return once(("deals.open_totals",), _open_totals)


def open_weighted_rows(distributor_ids):
    """The roll-up rows :func:`open_weighted` sums for ``distributor_ids`` and the sum, as a query (the network:
    the per-stage rows :func:`open_totals` sums): program/metrics.read_many reads several goal metrics in one
    statement (the network goals panel takes its pipeline cover from that read, not from a statement of its own)."""
    if distributor_ids is None:
        return stage_totals.network_rows(OPEN_STAGES), Sum("weighted")
    qs = PipelineRollup.objects.order_by().filter(stage__in=OPEN_STAGES, distributor_id__in=in_lookup(distributor_ids))
    return qs, Sum("weighted")


def _open_weighted(distributor_ids, grouped: bool):
    qs, _sum = open_weighted_rows(distributor_ids)
    if not grouped:
        return Decimal(qs.aggregate(weighted=Sum("weighted"))["weighted"] or 0)
    return {r["distributor_id"]: Decimal(r["weighted"] or 0)
            for r in qs.values("distributor_id").annotate(weighted=Sum("weighted"))}


def open_weighted(distributor_ids=None, *, grouped: bool = False):
    """The weighted value of the open deals now of ``distributor_ids`` (None: every distributor and the direct
    deals): one ``Decimal``, or ``{distributor_id (None: direct): Decimal}`` when ``grouped``. The network's
    total is :func:`open_totals`' (one read per cockpit); a set of distributors is read once per cockpit too."""
    if distributor_ids is None and not grouped:
        return open_totals()[2]
    if distributor_ids is None:
        return {r["distributor_id"]: Decimal(r["weighted"] or 0)
                for r in PipelineRollup.objects.order_by().filter(stage__in=OPEN_STAGES).values("distributor_id")
                .annotate(weighted=Sum("weighted"))}
    ids = frozen_ids(distributor_ids)
    return once(("deals.open_weighted", ids, grouped), lambda: _open_weighted(ids, grouped))

"""The deals' roll-ups (issue 22): the pipeline roll-up (open and closed deals counted and summed per distributor ×
stage × currency) and the won-clients roll-up (each client's won deals and first won day per year, in the whole
network and per distributor: see "the won-clients roll-up" below).

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
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from keychannel.core.cockpit import once
from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import replace_rows
from keychannel.core.scoping import ScopedQuerySet, frozen_ids, in_lookup

from .choices import OPEN_STAGES, Stage

# The deal fields the roll-ups depend on: changing any of them moves money between rows (the pipeline's: the first
# five; the won clients': distributor, stage, client and close day).
INPUT_FIELDS = ("distributor_id", "stage", "currency", "value", "probability", "client_id", "closed_on")
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


def key_of(deal) -> Key:
    closed_on = deal.closed_on
    if isinstance(closed_on, str):  # (assigned but not read back: stored as the day it names)
        closed_on = datetime.date.fromisoformat(closed_on)
    elif isinstance(closed_on, datetime.datetime):
        closed_on = closed_on.date()
    return Key(deal.distributor_id, str(deal.stage), deal.currency, Decimal(deal.value), int(deal.probability),
               deal.client_id, closed_on)


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
        if not count and not amount and not weighted:
            continue
        where = _bucket_filter(bucket)
        change = {"deal_count": F("deal_count") + count, "amount": F("amount") + amount,
                  "weighted": F("weighted") + weighted}
        if PipelineRollup.objects.filter(**where).update(**change):
            continue
        distributor_id, stage, currency = bucket
        # A new bucket: insert it empty (a concurrent insert of the same bucket wins quietly), then add.
        PipelineRollup.objects.bulk_create(
            [PipelineRollup(distributor_id=distributor_id, stage=stage, currency=currency)], ignore_conflicts=True)
        PipelineRollup.objects.filter(**where).update(**change)


def add(deltas: dict, key: Key | None, sign: int) -> None:
    if key is None:
        return
    entry = deltas.setdefault(key.bucket, [0, Decimal("0"), Decimal("0")])
    entry[0] += sign
    entry[1] += sign * Decimal(key.value)
    entry[2] += sign * key.weighted


def apply(before: Key | None, after: Key | None, *, leaving=()) -> None:
    """One deal changed from ``before`` to ``after`` (None: it did not exist / no longer exists; ``leaving``: the
    deal's pk when it is about to be deleted, so the won clients' recount leaves it out)."""
    apply_many([(before, after)], leaving=leaving)


def apply_many(pairs: Iterable[tuple[Key | None, Key | None]], *, leaving=()) -> None:
    deltas: dict = {}
    won: set[tuple] = set()
    for before, after in pairs:
        if before != after:
            add(deltas, before, -1)
            add(deltas, after, +1)
            won |= {key.won_year for key in (before, after) if key is not None and key.won_year is not None}
    apply_deltas(deltas)
    if won:
        refresh_won_clients(won, leaving=leaving)


def stored_keys(model, pks) -> dict:
    """The stored keys of these deals, their rows locked (the caller is in a transaction)."""
    keys = {}
    pks = list(pks)
    for start in range(0, len(pks), 500):
        chunk = pks[start:start + 500]
        for pk, *fields in (model._base_manager.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
                            .values_list("pk", *INPUT_FIELDS)):
            keys[pk] = Key(fields[0], fields[1], fields[2], Decimal(fields[3]), int(fields[4]), fields[5], fields[6])
    return keys


# --- the recount ----------------------------------------------------------------------------------------------


def recount(opportunity_model) -> dict:
    """``{bucket: (count, amount, weighted)}`` counted from the deals (one grouped query)."""
    weighted = ExpressionWrapper(F("value") * F("probability"), output_field=DecimalField(max_digits=24, decimal_places=2))
    rows = (opportunity_model._base_manager.order_by().values("distributor_id", "stage", "currency")
            .annotate(n=Count("pk"), amount=Sum("value"), weighted=Sum(weighted)))
    return {(r["distributor_id"], r["stage"], r["currency"]):
            (r["n"], Decimal(r["amount"] or 0), Decimal(r["weighted"] or 0) / HUNDRED) for r in rows}


def rebuild(opportunity_model=None, rollup_model=None) -> int:
    """Replace the roll-ups by a recount of every deal; returns the number of rows. Concurrent deal changes wait for
    it (PostgreSQL: the roll-up table is locked against writes first) and then add their own change on top.
    Takes the models so the data migrations (0015, 0018) can call it with their historical models: with models,
    only the pipeline roll-up is rebuilt (0015 predates the won clients'; 0018 calls :func:`rebuild_won_clients`)."""
    both = opportunity_model is None
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    rollup_model = rollup_model or PipelineRollup
    rows = replace_rows(rollup_model, lambda: [
        rollup_model(distributor_id=d, stage=s, currency=c, deal_count=n, amount=amount, weighted=weighted)
        for (d, s, c), (n, amount, weighted) in sorted(recount(opportunity_model).items(),
                                                       key=lambda item: _sort_key(item[0]))])
    return rows + (rebuild_won_clients(opportunity_model) if both else 0)


def differences(opportunity_model=None) -> list[tuple]:
    """Buckets where the stored roll-ups differ from a recount: ``[(bucket, stored, counted)]`` (empty when right),
    the pipeline's first, then the won clients'. Zero rows (a bucket all of whose deals left) equal a missing one."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    cents, basis = Decimal("0.01"), Decimal("0.0001")
    counted = {bucket: (n, amount.quantize(cents), weighted.quantize(basis))
               for bucket, (n, amount, weighted) in recount(opportunity_model).items()}
    stored = {(r.distributor_id, r.stage, r.currency): (r.deal_count, Decimal(r.amount).quantize(cents),
                                                        Decimal(r.weighted).quantize(basis))
              for r in PipelineRollup._base_manager.all()}
    return (compare(stored, counted, (0, Decimal("0.00"), Decimal("0.0000")), key=_sort_key)
            + won_client_differences(opportunity_model))


# --- the won-clients roll-up ------------------------------------------------------------------------------------
#
# "New key accounts" (program/metrics.py) and the cockpit's figure of the same name count the distinct clients of
# the deals won in a period: a COUNT(DISTINCT client) over every won deal of the period, which grew with the data
# (two of them cost 10 ms of the 14 the won-deals statement took at full size). A row here holds one client's won
# deals of one calendar year and the first day of that year it won one, in the whole network (``network``), for
# one distributor, or direct (neither): the distinct clients of a period from 1 January to any day D of that year
# are the rows of that year whose first won day is D or earlier, counted off an index (deals/won.py).
#
# Kept where the pipeline roll-up is (every path that changes a deal: ``Opportunity.save``, the queryset's
# update/bulk writes, deletes): the (client, year)s a change touches are recounted from the deals, under a lock on
# their network row, so two transactions changing one client's deals recount one after the other and the second
# sees the first's deals (PostgreSQL reads each statement afresh under READ COMMITTED).


class WonClientRollup(models.Model):
    """One client's won deals of one year (whole network, one distributor, or direct) and the first day it won one.
    Derived data: rebuilt from the deals at any time (``manage.py rollups_rebuild``)."""

    client = models.ForeignKey("clients.CorporateClient", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("client"))
    distributor = models.ForeignKey("network.Distributor", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+", verbose_name=_("distributor"))
    network = models.BooleanField(_("whole network"), default=False)
    year = models.PositiveSmallIntegerField(_("year"))
    deal_count = models.IntegerField(_("deals"), default=0)
    first_won_on = models.DateField(_("first won on"), null=True, blank=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        ordering = ["client_id", "year", "distributor_id"]
        verbose_name = _("won-clients roll-up")
        verbose_name_plural = _("won-clients roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["client", "distributor", "year"], condition=Q(distributor__isnull=False),
                                    name="deals_wonclient_bucket"),
            models.UniqueConstraint(fields=["client", "network", "year"], condition=Q(distributor__isnull=True),
                                    name="deals_wonclient_nodist_bucket"),
            models.CheckConstraint(condition=Q(deal_count__gte=0), name="deals_wonclient_count_not_negative"),
        ]
        indexes = [
            models.Index(fields=["year", "first_won_on"], condition=Q(network=True), name="deals_wonclient_network"),
            models.Index(fields=["distributor", "year", "first_won_on"], condition=Q(network=False),
                         name="deals_wonclient_dist"),
        ]

    def __str__(self):
        return f"{self.client_id} · {'network' if self.network else self.distributor_id or '—'} · {self.year}"


WON_ZERO = (0, None)
CHUNK = 500


def _won_sort_key(bucket):
    client_id, distributor_id, network, year = bucket
    return (client_id, year, network, distributor_id is not None, distributor_id or 0)


def won_recount(opportunity_model, clients=None, leaving=()) -> dict:
    """``{(client_id, distributor_id, network, year): (deals, first won day)}`` counted from the won deals (of
    ``clients`` only, leaving out the deals ``leaving``): one grouped query."""
    qs = opportunity_model._base_manager.filter(stage=Stage.WON, closed_on__isnull=False)
    if clients is not None:
        qs = qs.filter(client_id__in=list(clients))
    if leaving:
        qs = qs.exclude(pk__in=list(leaving))
    rows = (qs.order_by().values("client_id", "distributor_id", won_year=ExtractYear("closed_on"))
            .annotate(n=Count("pk"), first=Min("closed_on")))
    out: dict = {}
    for r in rows:
        client_id, year, n, first = r["client_id"], int(r["won_year"]), r["n"], r["first"]
        out[(client_id, r["distributor_id"], False, year)] = (n, first)
        n_all, first_all = out.get((client_id, None, True, year), (0, first))
        out[(client_id, None, True, year)] = (n_all + n, min(first_all, first))
    return out


def _lock_won(pairs: list[tuple]) -> None:
    """Lock the network rows of these (client, year)s, in one order, inserting the missing ones (empty) first: a
    concurrent insert of the same row waits for the other transaction, then finds the row and waits for its lock."""
    clients, years = sorted({c for c, _ in pairs}), sorted({y for _, y in pairs})
    locked = WonClientRollup._base_manager.select_for_update().filter(
        network=True, client_id__in=clients, year__in=years).order_by("client_id", "year")
    have = set(locked.values_list("client_id", "year"))
    missing = [pair for pair in pairs if pair not in have]
    if missing:
        WonClientRollup._base_manager.bulk_create(
            [WonClientRollup(client_id=c, year=y, network=True) for c, y in missing], ignore_conflicts=True)
        list(locked.values_list("pk"))


def refresh_won_clients(pairs, *, leaving=()) -> None:
    """Recount the won-clients rows of these ``(client_id, year)``s from the deals (``leaving``: deals about to
    be deleted, left out). Called by :func:`apply_many` inside the deal change's transaction, after the change."""
    from .models import Opportunity

    pairs = sorted(pairs)
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        wanted = set(chunk)
        _lock_won(chunk)
        clients, years = {c for c, _ in chunk}, {y for _, y in chunk}
        counted = {b: v for b, v in won_recount(Opportunity, clients, leaving).items() if (b[0], b[3]) in wanted}
        stored = {(r.client_id, r.distributor_id, r.network, r.year): r
                  for r in WonClientRollup._base_manager.filter(client_id__in=sorted(clients), year__in=sorted(years))
                  if (r.client_id, r.year) in wanted}
        changed = []
        for bucket, row in stored.items():
            figures = counted.get(bucket, WON_ZERO)
            if (row.deal_count, row.first_won_on) != figures:
                row.deal_count, row.first_won_on = figures
                changed.append(row)
        if changed:
            WonClientRollup._base_manager.bulk_update(changed, ["deal_count", "first_won_on"])
        new = [WonClientRollup(client_id=c, distributor_id=d, network=net, year=y, deal_count=n, first_won_on=first)
               for (c, d, net, y), (n, first) in sorted(counted.items(), key=lambda i: _won_sort_key(i[0]))
               if (c, d, net, y) not in stored]
        if new:
            WonClientRollup._base_manager.bulk_create(new)


def rebuild_won_clients(opportunity_model=None, won_model=None) -> int:
    """Replace the won-clients roll-up by a recount of every won deal; returns the number of rows."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    won_model = won_model or WonClientRollup
    return replace_rows(won_model, lambda: [
        won_model(client_id=c, distributor_id=d, network=net, year=y, deal_count=n, first_won_on=first)
        for (c, d, net, y), (n, first) in sorted(won_recount(opportunity_model).items(),
                                                 key=lambda item: _won_sort_key(item[0]))])


def won_client_differences(opportunity_model=None) -> list[tuple]:
    """Won-clients rows that differ from a recount (a row of no deals equals a missing one)."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    stored = {(r.client_id, r.distributor_id, r.network, r.year): (r.deal_count, r.first_won_on)
              for r in WonClientRollup._base_manager.all()}
    return compare(stored, won_recount(opportunity_model), WON_ZERO, key=_won_sort_key)


# --- reads ----------------------------------------------------------------------------------------------------


def totals_by_stage(*, distributor_id=None, direct: bool = False) -> dict:
    """``{stage: (count, amount, weighted)}`` over the whole network, or one distributor, or the direct deals."""
    qs = PipelineRollup.objects.order_by()
    if direct:
        qs = qs.filter(distributor__isnull=True)
    elif distributor_id is not None:
        qs = qs.filter(distributor_id=distributor_id)
    out = defaultdict(lambda: (0, Decimal("0"), Decimal("0")))
    for row in qs.values("stage").annotate(n=Sum("deal_count"), amount=Sum("amount"), weighted=Sum("weighted")):
        out[row["stage"]] = (row["n"] or 0, Decimal(row["amount"] or 0), Decimal(row["weighted"] or 0))
    return out


def _open_totals() -> tuple[int, Decimal, Decimal]:
    row = PipelineRollup.objects.order_by().filter(stage__in=OPEN_STAGES).aggregate(
        n=Sum("deal_count"), amount=Sum("amount"), weighted=Sum("weighted"))
    return row["n"] or 0, Decimal(row["amount"] or 0), Decimal(row["weighted"] or 0)


def open_totals() -> tuple[int, Decimal, Decimal]:
    """``(count, value, weighted)`` of every open deal in the network (the pipeline now): read once per cockpit."""
    return once(("deals.open_totals",), _open_totals)


def _open_weighted(distributor_ids, grouped: bool):
    qs = PipelineRollup.objects.order_by().filter(stage__in=OPEN_STAGES, distributor_id__in=in_lookup(distributor_ids))
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

"""The won deals' roll-ups (issue 22): what the cockpit's "won this year" and the goals' "won corporate contracts"
and "new key accounts" (program/metrics.py, deals/won.py) read instead of every won deal of the year.

The figures of a period from 1 January to a day D of that year: the deals won and their value, and the distinct
clients they were won from. Counted from the deals, the distinct clients took two COUNT(DISTINCT client) over
every won deal of the year (10 of the 14 ms the statement took at full size), and all three grew with the data.

- :class:`WonClientRollup`: one client's won deals of one calendar year and the first day of that year it won one,
  in the whole network (``network``), for one distributor, or direct (neither). It is the state the day rows'
  "new clients" are kept from, and counts the distinct clients of several distributors together.
- :class:`WonDayRollup`: per day, in the whole network (``network``), for one distributor or direct: the deals won
  that day, their value, and the clients whose first won deal of the year (in that scope) is that day. The year's
  figures to D are then sums over at most 366 rows of the network, or of each distributor's days.

Both are kept where the pipeline roll-up is (deals/rollups.py: ``Opportunity.save``, the queryset's update and
bulk writes, deletes, so every path that wins or unwins a deal: form, kanban, API, bulk, import, admin, task): the
(client, year)s a change touches are recounted from the deals under a lock on their network row, so two
transactions changing one client's deals recount one after the other and the second sees the first's deals
(PostgreSQL reads each statement afresh under READ COMMITTED); the day rows take the differences, added with
``F()`` in one fixed order. ``manage.py rollups_rebuild`` recounts both.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import increment, replace_tables

from .choices import Stage
from .rollups import RollupQuerySet

WON_ZERO = (0, None)
DAY_ZERO = (0, Decimal("0.00"), 0)
CHUNK = 500


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


class WonDayRollup(models.Model):
    """The deals won on one day (whole network, one distributor, or direct), their value, and the clients whose
    first won deal of the year is that day. Derived data: rebuilt from the deals (``manage.py rollups_rebuild``)."""

    distributor = models.ForeignKey("network.Distributor", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+", verbose_name=_("distributor"))
    network = models.BooleanField(_("whole network"), default=False)
    day = models.DateField(_("day"))
    deal_count = models.IntegerField(_("deals"), default=0)
    amount = models.DecimalField(_("value"), max_digits=22, decimal_places=2, default=Decimal("0"))
    new_clients = models.IntegerField(_("new clients"), default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        ordering = ["day", "distributor_id"]
        verbose_name = _("won-days roll-up")
        verbose_name_plural = _("won-days roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "day"], condition=Q(distributor__isnull=False),
                                    name="deals_wonday_bucket"),
            models.UniqueConstraint(fields=["network", "day"], condition=Q(distributor__isnull=True),
                                    name="deals_wonday_nodist_bucket"),
            models.CheckConstraint(condition=Q(deal_count__gte=0) & Q(new_clients__gte=0),
                                   name="deals_wonday_counts_not_negative"),
        ]
        indexes = [
            models.Index(fields=["day"], condition=Q(network=True), name="deals_wonday_network",
                         include=["deal_count", "amount", "new_clients"]),
            models.Index(fields=["distributor", "day"], condition=Q(network=False), name="deals_wonday_dist",
                         include=["deal_count", "amount", "new_clients"]),
        ]

    def __str__(self):
        return f"{'network' if self.network else self.distributor_id or '—'} · {self.day}: {self.deal_count}"


# --- keeping them ----------------------------------------------------------------------------------------------


def _client_sort_key(bucket):
    client_id, distributor_id, network, year = bucket
    return (client_id, year, network, distributor_id is not None, distributor_id or 0)


def _day_sort_key(bucket):
    distributor_id, network, day = bucket
    return (day, network, distributor_id is not None, distributor_id or 0)


def won_keys_deltas(pairs) -> dict:
    """``{(distributor_id, network, day): [deals, value, 0]}``: the day rows' change when deals change from
    ``before`` to ``after`` keys (deals/rollups.py ``Key``; None: none)."""
    deltas: dict = {}
    for before, after in pairs:
        for key, sign in ((before, -1), (after, +1)):
            if key is None or key.won_year is None:
                continue
            for bucket in ((key.distributor_id, False, key.closed_on), (None, True, key.closed_on)):
                entry = deltas.setdefault(bucket, [0, Decimal("0"), 0])
                entry[0] += sign
                entry[1] += sign * Decimal(key.value)
    return deltas


def client_recount(opportunity_model, clients=None) -> dict:
    """``{(client_id, distributor_id, network, year): (deals, first won day)}`` counted from the won deals (of
    ``clients`` only): one grouped query."""
    qs = opportunity_model._base_manager.filter(stage=Stage.WON, closed_on__isnull=False)
    if clients is not None:
        qs = qs.filter(client_id__in=list(clients))
    rows = (qs.order_by().values("client_id", "distributor_id", won_year=ExtractYear("closed_on"))
            .annotate(n=Count("pk"), first=Min("closed_on")))
    out: dict = {}
    for r in rows:
        client_id, year, n, first = r["client_id"], int(r["won_year"]), r["n"], r["first"]
        out[(client_id, r["distributor_id"], False, year)] = (n, first)
        n_all, first_all = out.get((client_id, None, True, year), (0, first))
        out[(client_id, None, True, year)] = (n_all + n, min(first_all, first))
    return out


def _lock_clients(pairs: list[tuple]) -> None:
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


def _first_day_moved(deltas: dict, bucket: tuple, before, after) -> None:
    """A client's first won day in a scope moved from ``before`` to ``after`` (None: none): the day rows' new
    clients follow."""
    _client_id, distributor_id, network, _year = bucket
    for day, sign in ((before, -1), (after, +1)):
        if day is not None:
            deltas.setdefault((distributor_id, network, day), [0, Decimal("0"), 0])[2] += sign


def refresh_clients(pairs, deltas: dict) -> None:
    """Recount the won-clients rows of these ``(client_id, year)``s from the deals, adding to ``deltas`` (the day rows') the new clients that moved from day to day."""
    from .models import Opportunity

    pairs = sorted(pairs)
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        wanted = set(chunk)
        _lock_clients(chunk)
        clients, years = {c for c, _ in chunk}, {y for _, y in chunk}
        counted = {b: v for b, v in client_recount(Opportunity, clients).items() if (b[0], b[3]) in wanted}
        stored = {(r.client_id, r.distributor_id, r.network, r.year): r
                  for r in WonClientRollup._base_manager.filter(client_id__in=sorted(clients), year__in=sorted(years))
                  if (r.client_id, r.year) in wanted}
        changed = []
        for bucket, row in stored.items():
            figures = counted.get(bucket, WON_ZERO)
            if (row.deal_count, row.first_won_on) != figures:
                _first_day_moved(deltas, bucket, row.first_won_on, figures[1])
                row.deal_count, row.first_won_on = figures
                changed.append(row)
        if changed:
            WonClientRollup._base_manager.bulk_update(changed, ["deal_count", "first_won_on"])
        new = []
        for bucket, (n, first) in sorted(counted.items(), key=lambda item: _client_sort_key(item[0])):
            if bucket not in stored:
                _first_day_moved(deltas, bucket, None, first)
                client_id, distributor_id, network, year = bucket
                new.append(WonClientRollup(client_id=client_id, distributor_id=distributor_id, network=network,
                                           year=year, deal_count=n, first_won_on=first))
        if new:
            WonClientRollup._base_manager.bulk_create(new)


def apply_days(deltas: dict) -> None:
    """Add ``{(distributor_id, network, day): [deals, value, new clients]}`` to the day rows, in one fixed order."""
    for bucket in sorted(deltas, key=_day_sort_key):
        count, amount, new_clients = deltas[bucket]
        distributor_id, network, day = bucket
        where = ({"distributor_id": distributor_id} if distributor_id is not None
                 else {"distributor__isnull": True, "network": network}) | {"day": day}
        increment(WonDayRollup._base_manager, where,
                  {"deal_count": count, "amount": amount, "new_clients": new_clients},
                  {"distributor_id": distributor_id, "network": network, "day": day})


def apply_won(pairs) -> None:
    """Deals changed from ``before`` to ``after`` keys: both won roll-ups follow (deals/rollups.py ``apply_many``,
    inside the change's transaction, after it; a deleted deal's in ``post_delete``, once every deal of the delete
    is gone: a queryset delete sends all its ``pre_delete`` first, when a recount still sees the others)."""
    pairs = [(before, after) for before, after in pairs if before != after]
    touched = {key.won_year for pair in pairs for key in pair if key is not None and key.won_year is not None}
    if not touched:
        return
    deltas = won_keys_deltas(pairs)
    refresh_clients(touched, deltas)
    apply_days(deltas)


# --- the recount -----------------------------------------------------------------------------------------------


def day_recount(opportunity_model, clients: dict | None = None) -> dict:
    """``{(distributor_id, network, day): (deals, value, new clients)}`` counted from the won deals (``clients``:
    :func:`client_recount`'s answer, read again when not given)."""
    if clients is None:
        clients = client_recount(opportunity_model)
    won = opportunity_model._base_manager.filter(stage=Stage.WON, closed_on__isnull=False).order_by()
    out: dict = {}
    for r in won.values("distributor_id", "closed_on").annotate(n=Count("pk"), amount=Sum("value")):
        for bucket in ((r["distributor_id"], False, r["closed_on"]), (None, True, r["closed_on"])):
            n, amount, new = out.get(bucket, DAY_ZERO)
            out[bucket] = (n + r["n"], amount + Decimal(r["amount"] or 0), new)
    for (_client_id, distributor_id, network, _year), (_n, first) in clients.items():
        n, amount, new = out.get((distributor_id, network, first), DAY_ZERO)
        out[(distributor_id, network, first)] = (n, amount, new + 1)
    return out


def rebuild(opportunity_model=None, client_model=None, day_model=None) -> int:
    """Replace both won roll-ups by a recount of every won deal; returns the number of rows. Takes the models so
    the data migration (0019) can pass its historical ones."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    client_model, day_model = client_model or WonClientRollup, day_model or WonDayRollup

    def recount():
        # Counted once both tables are locked (a win committed while the clients were counted outside the lock
        # was lost from the client rows until the next rebuild), in the writers' order: clients, then days.
        clients = client_recount(opportunity_model)
        days = day_recount(opportunity_model, clients)
        return ([client_model(client_id=c, distributor_id=d, network=net, year=y, deal_count=n, first_won_on=first)
                 for (c, d, net, y), (n, first) in sorted(clients.items(), key=lambda item: _client_sort_key(item[0]))],
                [day_model(distributor_id=d, network=net, day=day, deal_count=n, amount=amount, new_clients=new)
                 for (d, net, day), (n, amount, new) in sorted(days.items(), key=lambda item: _day_sort_key(item[0]))])

    return replace_tables([client_model, day_model], recount, mode="EXCLUSIVE")


def differences(opportunity_model=None) -> list[tuple]:
    """Rows of the won roll-ups that differ from a recount (a row of nothing equals a missing one)."""
    if opportunity_model is None:
        from .models import Opportunity as opportunity_model
    cents = Decimal("0.01")
    clients = client_recount(opportunity_model)
    stored = {(r.client_id, r.distributor_id, r.network, r.year): (r.deal_count, r.first_won_on)
              for r in WonClientRollup._base_manager.all()}
    days = {bucket: (n, amount.quantize(cents), new)
            for bucket, (n, amount, new) in day_recount(opportunity_model, clients).items()}
    stored_days = {(r.distributor_id, r.network, r.day): (r.deal_count, Decimal(r.amount).quantize(cents),
                                                          r.new_clients)
                   for r in WonDayRollup._base_manager.all()}
    return (compare(stored, clients, WON_ZERO, key=_client_sort_key)
            + compare(stored_days, days, DAY_ZERO, key=_day_sort_key))

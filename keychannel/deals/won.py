"""Deals won in a period, counted once for every figure that needs them (issue 22).

The network cockpits show the deals won this year, and goals measure "won corporate contracts" and "new key
accounts" (program/metrics.py): the same won deals of the same period, counted, their distinct clients counted
and their value summed. :func:`won_figures` answers all three from one statement and keeps the answer for the
rest of the cockpit being built (``core.cockpit.once``), so a period is read once per request, not once per
figure. The figures are not scoped: the caller passes the distributors (None: the whole network, including the
direct deals), as the metrics do.

The distinct clients of a period from 1 January to a day of the same year (the cockpit's year, a yearly goal) are
counted off the won-clients roll-up (deals/rollups.py), not by a COUNT(DISTINCT client) over every won deal of the
period, which grew with the data; other periods are still counted from the deals.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from keychannel.core.cockpit import once
from keychannel.core.scoping import frozen_ids, in_lookup

from .choices import Stage
from .models import Opportunity
from .rollups import WonClientRollup

FIGURES = ("count", "clients", "value")


def _won(distributor_ids, start: datetime.date, end: datetime.date):
    qs = Opportunity._base_manager.filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=end)
    if distributor_ids is not None:
        qs = qs.filter(distributor_id__in=in_lookup(distributor_ids))
    return qs.order_by()


def _aggregates(prefix="", condition=None, *, clients: bool = True):
    # (aliases that no field of the deal has: an aggregate may not shadow the column it sums)
    figures = {f"{prefix}won_n": Count("pk", filter=condition), f"{prefix}won_value": Sum("value", filter=condition)}
    if clients:
        figures[f"{prefix}won_clients"] = Count("client", distinct=True, filter=condition)
    return figures


def _row(row, prefix="", clients=None) -> dict:
    return {"count": row[f"{prefix}won_n"] or 0,
            "clients": (row[f"{prefix}won_clients"] or 0) if clients is None else clients,
            "value": Decimal(row[f"{prefix}won_value"] or 0)}


def _stored_year(start, end) -> int | None:
    """The year whose won-clients rows answer the period exactly: from 1 January to a day of the same year."""
    return start.year if (start.month, start.day) == (1, 1) and end.year == start.year else None


def _won_clients(distributor_ids, year):
    """The won-clients rows of ``year``: the network's (None), or those of the distributors (not direct)."""
    qs = WonClientRollup._base_manager.filter(year=year).order_by()
    if distributor_ids is None:
        return qs.filter(network=True)
    return qs.filter(network=False, distributor_id__in=in_lookup(distributor_ids))


def _total(distributor_ids, start, end, until) -> dict:
    """The period's figures, and (``until``) those of its deals closed by that day, in one statement (and one
    more of the won-clients roll-up, when it answers the period)."""
    year = _stored_year(start, end)
    extra = _aggregates("until_", Q(closed_on__lte=until), clients=year is None) if until is not None else {}
    row = _won(distributor_ids, start, end).aggregate(**_aggregates(clients=year is None), **extra)
    clients = {"": None, "until_": None}
    if year is not None:
        # The network's rows are one per client; a client of several distributors has a row for each of them.
        def count(condition=None):
            if distributor_ids is None:
                return Count("pk", filter=condition)
            return Count("client", distinct=True, filter=condition)

        counted = _won_clients(distributor_ids, year).filter(first_won_on__lte=end).aggregate(
            n=count(), **({"until": count(Q(first_won_on__lte=until))} if until is not None else {}))
        clients = {"": counted["n"] or 0, "until_": counted.get("until") or 0}
    return {**_row(row, clients=clients[""]),
            "until": _row(row, "until_", clients["until_"]) if until is not None else None}


def _grouped(distributor_ids, start, end, until) -> dict:
    year = _stored_year(start, end)
    rows = _won(distributor_ids, start, end).values("distributor_id").annotate(**_aggregates(clients=year is None))
    if year is None:
        return {row["distributor_id"]: _row(row) for row in rows}
    qs = _won_clients(distributor_ids, year) if distributor_ids is not None else \
        WonClientRollup._base_manager.filter(year=year, network=False).order_by()
    clients = dict(qs.filter(first_won_on__lte=end).values("distributor_id").annotate(n=Count("pk"))
                   .values_list("distributor_id", "n"))
    return {row["distributor_id"]: _row(row, clients=clients.get(row["distributor_id"], 0)) for row in rows}


def won_figures(distributor_ids, start: datetime.date, end: datetime.date, *, grouped: bool = False,
                until: datetime.date | None = None) -> dict:
    """``{"count", "clients", "value"}`` of the deals won from ``start`` to ``end`` (both included) by
    ``distributor_ids`` (None: the whole network), or ``{distributor_id: {...}}`` when ``grouped``.

    A total also answers, under ``"until"``, the same figures for the deals of the period closed by ``until``
    (default: today), from the same statement: the cockpit's "won this year" (to today) and a goal over the year
    (to its end) then read one statement."""
    ids = frozen_ids(distributor_ids)
    if grouped:
        until = None
    elif until is None:
        until = timezone.localdate()
    compute = _grouped if grouped else _total
    return once(("deals.won", ids, start, end, grouped, until), lambda: compute(ids, start, end, until))


def won_figure(name: str):
    """One figure of :func:`won_figures` as a metric's ``combined`` source (program/metrics.py)."""
    if name not in FIGURES:
        raise ValueError(name)

    def read(distributor_ids, start, end, *, grouped: bool):
        figures = won_figures(distributor_ids, start, end, grouped=grouped)
        if grouped:
            return {pk: Decimal(row[name]) for pk, row in figures.items()}
        return Decimal(figures[name])

    return read

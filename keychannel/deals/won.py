"""Deals won in a period, counted once for every figure that needs them (issue 22).

The network cockpits show the deals won this year, and goals measure "won corporate contracts" and "new key
accounts" (program/metrics.py): the same won deals of the same period, counted, their distinct clients counted
and their value summed. :func:`won_figures` answers all three from one statement and keeps the answer for the
rest of the cockpit being built (``core.cockpit.once``), so a period is read once per request, not once per
figure. The figures are not scoped: the caller passes the distributors (None: the whole network, including the
direct deals), as the metrics do.

A period from 1 January to a day of the same year (the cockpit's year, a yearly goal) is summed off the won days'
roll-up (deals/won_rollups.py: at most 366 rows of the network, or each distributor's days), not counted over every
won deal of the year with two COUNT(DISTINCT client), which grew with the data; the distinct clients of several
distributors together are counted off the won clients' rows. Other periods are counted from the deals.
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
from .won_rollups import WonClientRollup, WonDayRollup

FIGURES = ("count", "clients", "value")


def _won(distributor_ids, start: datetime.date, end: datetime.date):
    qs = Opportunity._base_manager.filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=end)
    if distributor_ids is not None:
        qs = qs.filter(distributor_id__in=in_lookup(distributor_ids))
    return qs.order_by()


def _aggregates(prefix="", condition=None):
    # (aliases that no field of the deal has: an aggregate may not shadow the column it sums)
    return {f"{prefix}won_n": Count("pk", filter=condition),
            f"{prefix}won_clients": Count("client", distinct=True, filter=condition),
            f"{prefix}won_value": Sum("value", filter=condition)}


def _row(row, prefix="") -> dict:
    return {"count": row[f"{prefix}won_n"] or 0, "clients": row[f"{prefix}won_clients"] or 0,
            "value": Decimal(row[f"{prefix}won_value"] or 0)}


def _stored_year(start, end) -> int | None:
    """The year whose roll-up rows answer the period exactly: from 1 January to a day of the same year."""
    return start.year if (start.month, start.day) == (1, 1) and end.year == start.year else None


def _days(distributor_ids, start, end):
    """The won days' rows of the period: the network's (None), or those of the distributors (not direct)."""
    qs = WonDayRollup._base_manager.filter(day__gte=start, day__lte=end).order_by()
    if distributor_ids is None:
        return qs.filter(network=True)
    return qs.filter(network=False, distributor_id__in=in_lookup(distributor_ids))


def _day_sums(prefix="", condition=None) -> dict:
    return {f"{prefix}won_n": Sum("deal_count", filter=condition), f"{prefix}won_value": Sum("amount", filter=condition),
            f"{prefix}won_clients": Sum("new_clients", filter=condition)}


def _total(distributor_ids, start, end, until) -> dict:
    """The period's figures, and (``until``) those of its deals closed by that day, in one statement (from the won
    roll-ups when they answer the period; the clients of several distributors in a second, off the clients' rows)."""
    year = _stored_year(start, end)
    if year is None:
        extra = _aggregates("until_", Q(closed_on__lte=until)) if until is not None else {}
        row = _won(distributor_ids, start, end).aggregate(**_aggregates(), **extra)
        return {**_row(row), "until": _row(row, "until_") if until is not None else None}
    extra = _day_sums("until_", Q(day__lte=until)) if until is not None else {}
    row = _days(distributor_ids, start, end).aggregate(**_day_sums(), **extra)
    if distributor_ids is not None:
        # A client won by two of the distributors is one client: counted off its rows, not the days' sums.
        clients = Count("client", distinct=True)
        extra = {"until_won_clients": Count("client", distinct=True, filter=Q(first_won_on__lte=until))} \
            if until is not None else {}
        row |= WonClientRollup._base_manager.filter(
            year=year, network=False, distributor_id__in=in_lookup(distributor_ids), first_won_on__lte=end,
        ).order_by().aggregate(won_clients=clients, **extra)
    return {**_row(row), "until": _row(row, "until_") if until is not None else None}


def _grouped(distributor_ids, start, end, until) -> dict:
    if _stored_year(start, end) is None:
        rows = _won(distributor_ids, start, end).values("distributor_id").annotate(**_aggregates())
    else:
        days = _days(distributor_ids, start, end) if distributor_ids is not None else \
            WonDayRollup._base_manager.filter(day__gte=start, day__lte=end, network=False).order_by()
        rows = days.values("distributor_id").annotate(**_day_sums())
    return {row["distributor_id"]: _row(row) for row in rows if row["won_n"]}


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


# The column of the won days' roll-up each figure sums, and the aggregate over the deals (_aggregates').
_DAY_FIELDS = {"count": "deal_count", "clients": "new_clients", "value": "amount"}


def won_figure_rows(name: str):
    """One figure of :func:`won_figures` as a query, a metric's ``combined_rows`` (program/metrics.read_many reads
    several goal metrics in one statement): ``(distributor_ids, start, end, grouped) -> (rows, aggregate)``, for
    the network's total or the figure by distributor; None for a total over several distributors (their clients
    are counted off the clients' rows, _total)."""
    if name not in FIGURES:
        raise ValueError(name)

    def rows(distributor_ids, start, end, *, grouped: bool):
        if grouped == (distributor_ids is None):
            return None
        if _stored_year(start, end) is None:
            aggregate = _aggregates()[{"count": "won_n", "clients": "won_clients", "value": "won_value"}[name]]
            return _won(distributor_ids, start, end), aggregate
        return _days(distributor_ids, start, end), Sum(_DAY_FIELDS[name])

    return rows

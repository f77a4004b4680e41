"""Deals won in a period, counted once for every figure that needs them (issue 22).

The network cockpits show the deals won this year, and goals measure "won corporate contracts" and "new key
accounts" (program/metrics.py): the same won deals of the same period, counted, their distinct clients counted
and their value summed. :func:`won_figures` answers all three from one statement and keeps the answer for the
rest of the cockpit being built (``core.cockpit.once``), so a period is read once per request, not once per
figure. The figures are not scoped: the caller passes the distributors (None: the whole network, including the
direct deals), as the metrics do.
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


def _total(distributor_ids, start, end, until) -> dict:
    """The period's figures, and (``until``) those of its deals closed by that day, in one statement."""
    extra = _aggregates("until_", Q(closed_on__lte=until)) if until is not None else {}
    row = _won(distributor_ids, start, end).aggregate(**_aggregates(), **extra)
    return {**_row(row), "until": _row(row, "until_") if until is not None else None}


def _grouped(distributor_ids, start, end, until) -> dict:
    rows = _won(distributor_ids, start, end).values("distributor_id").annotate(**_aggregates())
    return {row["distributor_id"]: _row(row) for row in rows}


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

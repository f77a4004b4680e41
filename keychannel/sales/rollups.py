"""The sales roll-up: applied sell-out lines counted and summed per distributor × month (issue 22).

The program's corporate-revenue metric (program/metrics.py) sums the lines of applied reports over a goal's period.
At full size that aggregate joined millions of lines to every report on each network cockpit; a period made of
whole months (every yearly or quarterly goal) is now the sum of a few thousand rows of this table instead.

What counts is decided by the report: a line counts while its report is applied. So the roll-up is kept where a
report enters or leaves "applied" and where a line of an applied report is saved or deleted one by one:

- ``SalesReport.save`` (the import applying a report, a supersede, an admin edit) reads the stored status under a row
  lock; becoming applied adds the report's lines, leaving it takes them out;
- deleting a report (a model or a queryset delete, through ``pre_delete``) takes out its lines if it was applied;
- ``SalesLine.save`` / ``SalesLine.delete`` of one line of an applied report apply the difference.

Writes that bypass these (the bench data set's SQL, ``bulk_create`` of lines into a report already applied, a raw
migration) end with :func:`rebuild` (``manage.py sales_rollup_rebuild``). Rows change by ``F()`` increments in a fixed
order, a missing row inserted first with ``ON CONFLICT DO NOTHING``, so concurrent imports add up.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Count, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from keychannel.core.rollups import differences as compare
from keychannel.core.rollups import increment, replace_rows
from keychannel.core.scoping import ScopedQuerySet, in_lookup

ZERO = Decimal("0")


class SalesRollupQuerySet(ScopedQuerySet):
    def visible_to(self, principal):
        """Whole-network figures: read directly only by principals who see every distributor (the metric reads it
        for the distributors its caller already scoped)."""
        if not principal.is_authenticated or principal.distributor_ids is not None:
            return self.none()
        return self.all()


class SalesRollup(models.Model):
    """Applied sales lines per distributor and month: how many and their amount. Derived data, rebuilt from the
    lines at any time (``manage.py sales_rollup_rebuild``); the reports keep the history."""

    distributor = models.ForeignKey("network.Distributor", on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("distributor"))
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    line_count = models.IntegerField(_("lines"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=22, decimal_places=2, default=ZERO)

    objects = SalesRollupQuerySet.as_manager()

    class Meta:
        ordering = ["distributor_id", "month"]
        verbose_name = _("sales roll-up")
        verbose_name_plural = _("sales roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "month"], name="sales_rollup_bucket"),
            models.CheckConstraint(condition=models.Q(line_count__gte=0), name="sales_rollup_count_not_negative"),
        ]
        indexes = [models.Index(fields=["month", "distributor"], name="sales_rollup_month_dist")]

    def __str__(self):
        return f"{self.distributor_id} · {self.month:%Y-%m}: {self.line_count}"


# --- applying changes ------------------------------------------------------------------------------------------


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def apply_deltas(deltas: dict) -> None:
    """Add ``{(distributor_id, month): [count, amount]}`` to the roll-up, bucket by bucket in one fixed order."""
    for distributor_id, month in sorted(deltas):
        count, amount = deltas[(distributor_id, month)]
        row = {"distributor_id": distributor_id, "month": month}
        increment(SalesRollup.objects, row, {"line_count": count, "amount": amount}, row)


def _lines_by_month(line_model, **where) -> dict:
    rows = (line_model._base_manager.filter(**where).order_by().annotate(m=TruncMonth("date"))
            .values("distributor_id", "m").annotate(n=Count("pk"), amount=Sum("amount")))
    return {(r["distributor_id"], _as_date(r["m"])): [r["n"], Decimal(r["amount"] or 0)] for r in rows}


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def report_lines(report_id, sign: int, counted: dict | None = None) -> None:
    """Add (+1) or take out (-1) every line of one report. ``counted`` is ``{(distributor_id, month): [count,
    amount]}`` of its lines when the caller wrote them and so knows them (the import: its month, the lines and the
    amount it checked): they are not read back (at 100,000 lines, a pass over them as long as a tenth of the COPY)."""
    from .models import SalesLine

    deltas = counted if counted is not None else _lines_by_month(SalesLine, report_id=report_id)
    apply_deltas({key: [sign * n, sign * amount] for key, (n, amount) in deltas.items()})


def line_changed(before, after) -> None:
    """One line of an applied report changed: ``before``/``after`` are ``(distributor_id, date, amount)`` or None."""
    deltas: dict = {}
    for sign, key in ((-1, before), (+1, after)):
        if key is None:
            continue
        distributor_id, day, amount = key
        entry = deltas.setdefault((distributor_id, month_of(day)), [0, ZERO])
        entry[0] += sign
        entry[1] += sign * Decimal(amount)
    apply_deltas(deltas)


# --- the recount ----------------------------------------------------------------------------------------------


def recount(line_model=None) -> dict:
    """``{(distributor_id, month): (count, amount)}`` counted from the lines of applied reports."""
    if line_model is None:
        from .models import SalesLine as line_model
    return {key: (n, amount) for key, (n, amount) in
            _lines_by_month(line_model, report__status="applied").items()}


def rebuild(line_model=None, rollup_model=None) -> int:
    """Replace the roll-up by a recount of the applied lines; returns the number of rows. Concurrent changes wait
    (PostgreSQL: the table is locked against writes first) and then add their own on top. Takes the models so the
    data migration (0009) can call it with its historical models."""
    rollup_model = rollup_model or SalesRollup
    return replace_rows(rollup_model, lambda: [
        rollup_model(distributor_id=d, month=m, line_count=n, amount=amount)
        for (d, m), (n, amount) in sorted(recount(line_model).items())])


def differences(line_model=None) -> list[tuple]:
    """Buckets where the stored roll-up differs from a recount: ``[(bucket, stored, counted)]`` (empty when right)."""
    cents = Decimal("0.01")
    counted = {key: (n, Decimal(amount).quantize(cents)) for key, (n, amount) in recount(line_model).items()}
    stored = {(r.distributor_id, r.month): (r.line_count, Decimal(r.amount).quantize(cents))
              for r in SalesRollup._base_manager.all()}
    return compare(stored, counted, (0, Decimal("0.00")))


# --- reads ----------------------------------------------------------------------------------------------------


def whole_months(start: datetime.date, end: datetime.date) -> bool:
    """Whether ``start``..``end`` is made of whole calendar months (the roll-up answers those exactly)."""
    return start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1] and start <= end


def revenue(distributor_ids, start: datetime.date, end: datetime.date, *, grouped: bool):
    """The amount of applied lines dated ``start``..``end`` (whole months), for ``distributor_ids`` (None: all):
    one ``Decimal``, or ``{distributor_id: Decimal}`` when ``grouped``."""
    qs, _sum = revenue_rows(distributor_ids, start, end)
    # To the cent, as the lines are: SQLite keeps the F() increments in floating point (a month whose lines all left
    # reads back as 1e-18, not 0).
    if not grouped:
        return _cents(qs.aggregate(value=Sum("amount"))["value"])
    return {pk: _cents(value) for pk, value in
            qs.values("distributor_id").annotate(value=Sum("amount")).values_list("distributor_id", "value")}


def revenue_rows(distributor_ids, start: datetime.date, end: datetime.date):
    """The roll-up rows :func:`revenue` sums and the sum, as a query (program/metrics.read_many reads several goal
    metrics in one statement; its caller rounds to the cent as :func:`revenue` does)."""
    qs = SalesRollup.objects.order_by().filter(month__gte=start, month__lte=end)
    if distributor_ids is not None:
        qs = qs.filter(distributor_id__in=in_lookup(distributor_ids))
    return qs, Coalesce(Sum("amount"), Value(Decimal(0)))  # (no month: 0.00, as _cents gives)


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))

"""The metric registry: how each goal actual is computed from the data, never typed in.

A metric answers two questions with one aggregate query each:

- ``total(distributor_ids, start, end) -> Decimal``: the value over a set of distributors (``None``: the whole
  network, including manufacturer-led business where the source has it);
- ``by_distributor(distributor_ids, start, end) -> {distributor_id: Decimal}``: the same, grouped.

A metric whose source app has no model (yet) is *not available*: ``available()`` is False and the callers show
"not available" instead of a number. Sources are looked up through the app registry, so this module imports
no higher app at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")


def _model(label: str, name: str, *fields: str):
    """The model if its app has it (with the fields we read), else None."""
    try:
        model = apps.get_model(label, name)
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if all(f.split("__")[0] in names for f in fields) else None


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "count" or "money"
    source: str  # the app the data comes from
    queryset: Callable  # () -> base queryset, or None while the source has no model (unscoped: callers scope)
    period: Callable  # (start, end) -> Q selecting the rows of the period
    aggregate: Callable  # () -> aggregate expression
    distributor_field: str = "distributor_id"

    def available(self) -> bool:
        return self.queryset() is not None

    def _filtered(self, distributor_ids, start: date, end: date):
        qs = self.queryset().filter(self.period(start, end))
        if distributor_ids is not None:
            qs = qs.filter(**{f"{self.distributor_field}__in": list(distributor_ids)})
        return qs

    def total(self, distributor_ids, start: date, end: date) -> Decimal | None:
        if not self.available():
            return None
        if distributor_ids is not None and not distributor_ids:
            return ZERO
        value = self._filtered(distributor_ids, start, end).aggregate(value=self.aggregate())["value"]
        return Decimal(value or 0)

    def by_distributor(self, distributor_ids, start: date, end: date) -> dict[int, Decimal] | None:
        if not self.available():
            return None
        if distributor_ids is not None and not distributor_ids:
            return {}
        rows = (
            self._filtered(distributor_ids, start, end)
            .order_by()
            .values(self.distributor_field)
            .annotate(value=self.aggregate())
            .values_list(self.distributor_field, "value")
        )
        return {pk: Decimal(value or 0) for pk, value in rows if pk is not None}

    @property
    def is_money(self) -> bool:
        return self.unit == "money"


# --- sources -----------------------------------------------------------------------------------------------


def _source(label: str, name: str, *fields: str, **filters):
    """A base queryset of another app's model (unscoped), or None while that model or its fields are missing."""
    model = _model(label, name, *fields)
    return None if model is None else model._base_manager.filter(**filters)


def _enrollments():
    from .models import Enrollment

    return Enrollment.objects.filter(completed_at__isnull=False).exclude(course__certificate_title="")


def _between(field):
    return lambda start, end: Q(**{f"{field}__gte": start, f"{field}__lte": end})


def _won_deals():
    return _source("deals", "Opportunity", "distributor", "stage", "closed_on", "client", stage="won")


def _open_deals():
    return _source("deals", "Opportunity", "distributor", "stage", "value", "probability", "created_at",
                   stage__in=["discussion", "consultation", "product_testing", "proposal", "negotiation"])


def _approved_registrations():
    # An approved registration that has since expired was still approved in its period.
    return _source("channel", "DealRegistration", "distributor", "status", "decided_at", status__in=["approved", "expired"])


def _corporate_sales():
    # Only lines of applied reports: a superseded or rejected file does not count.
    return _source("sales", "SalesLine", "distributor", "amount", "date", "report", report__status="applied")


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    METRICS[metric.key] = metric
    return metric


register(Metric(
    key="new_key_accounts", label=_("New key accounts"), unit="count", source="deals", queryset=_won_deals,
    period=_between("closed_on"), aggregate=lambda: Count("client", distinct=True),
))
register(Metric(
    key="won_contracts", label=_("Won corporate contracts"), unit="count", source="deals", queryset=_won_deals,
    period=_between("closed_on"), aggregate=lambda: Count("pk"),
))
register(Metric(
    key="corporate_revenue", label=_("Corporate revenue (RON)"), unit="money", source="sales", queryset=_corporate_sales,
    period=_between("date"), aggregate=lambda: Sum("amount"),
))
register(Metric(
    key="weighted_pipeline", label=_("Weighted pipeline (RON)"), unit="money", source="deals", queryset=_open_deals,
    # A snapshot: deals open now that were opened by the end of the period, weighted by their probability.
    period=lambda start, end: Q(created_at__date__lte=end),
    aggregate=lambda: Sum(ExpressionWrapper(F("value") * F("probability") / 100,
                                            output_field=DecimalField(max_digits=18, decimal_places=2))),
))
register(Metric(
    key="approved_registrations", label=_("Approved registrations"), unit="count", source="channel",
    queryset=_approved_registrations, period=_between("decided_at__date"), aggregate=lambda: Count("pk"),
))
register(Metric(
    key="people_certified", label=_("People certified"), unit="count", source="program", queryset=_enrollments,
    period=_between("completed_at__date"), aggregate=lambda: Count("user", distinct=True),
))


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in METRICS.values()]


def get(key: str) -> Metric | None:
    return METRICS.get(key)


__all__ = ["METRICS", "Metric", "get", "metric_choices", "register"]

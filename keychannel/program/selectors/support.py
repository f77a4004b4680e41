"""Support budgets (with what remains), requests and awards."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, F, Sum, When

from keychannel.core.scoping import get_visible_or_404

from ..choices import SupportStatus
from ..models import Award, SupportBudget, SupportRequest

# --- support ----------------------------------------------------------------------------------------------------


def budget_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = SupportBudget.objects.visible_to(principal).select_related("distributor", "level")
    if year := filters.get("year"):
        qs = qs.filter(year=year)
    if distributor_id := filters.get("distributor_id"):
        qs = qs.filter(distributor_id=distributor_id)
    return qs


def budgets_with_remaining(qs) -> list[SupportBudget]:
    """Budgets with committed/remaining attached, in two queries whatever the number of budgets."""
    budgets = list(qs)
    committed = dict(
        SupportRequest.objects.filter(budget__in=budgets)
        .order_by()
        .values("budget_id")
        .annotate(
            total=Sum(
                Case(
                    When(status=SupportStatus.APPROVED, then=F("amount_approved")),
                    When(status__in=[SupportStatus.CLAIMED, SupportStatus.PAID], then=F("amount_claimed")),
                    default=0,
                    output_field=DecimalField(max_digits=16, decimal_places=2),
                )
            )
        )
        .values_list("budget_id", "total")
    )
    for budget in budgets:
        budget.committed_amount = committed.get(budget.pk) or Decimal(0)
        budget.remaining_amount = budget.amount - budget.committed_amount
    return budgets


def support_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = SupportRequest.objects.visible_to(principal).select_related("distributor", "budget", "requested_by")
    for name in ("kind", "status", "distributor_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    return qs


def support_get(*, principal, pk):
    return get_visible_or_404(support_list(principal=principal), principal, pk=pk)


def award_list(*, principal, distributor=None):
    qs = Award.objects.visible_to(principal).select_related("distributor", "awarded_by")
    return qs.filter(distributor=distributor) if distributor is not None else qs

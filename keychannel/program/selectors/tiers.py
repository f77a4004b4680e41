"""The corporate program's tiers and the contracts in each."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from keychannel.deals.choices import ContractStatus
from keychannel.deals.models import CorporateContract

from ..models import CorporateTier


def tier_list(*, principal):
    return CorporateTier.objects.visible_to(principal).prefetch_related("service_levels")


def tier_contracts(*, principal) -> dict[str, dict]:
    """Contracts the principal may see, per tier code: count and value (one grouped query)."""
    rows = (CorporateContract.objects.visible_to(principal).filter(status=ContractStatus.ACTIVE).order_by().values("tier")
            .annotate(count=Count("pk"), value=Sum("value")))
    return {r["tier"]: r for r in rows}


def tier_for_volume(*, principal, volume: Decimal):
    """The highest offered tier whose threshold the annual volume reaches, or None."""
    return tier_list(principal=principal).filter(active=True, min_annual_volume__lte=volume).order_by("-min_annual_volume").first()

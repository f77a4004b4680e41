"""The money of financial support: claims within what was approved, and the return on each funded activity.

Claims (docs/rules.md, "A support claim never exceeds what was approved"): a request approved for X may be claimed
in parts; the parts add up to at most X and never to more than the budget left. The request row is locked
(``select_for_update``) before anything is read, so two claims at the same moment are serialised and the second
sees the first. A refused claim raises before anything is written.

Return on support (docs/program.md, "Return on support"): the business that followed a funded activity, read
through the deals, channel and sales selectors, so the viewer sees only figures built from rows they may see.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.channel import selectors as channel_selectors
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.deals import selectors as deal_selectors
from keychannel.deals.choices import OPEN_STAGES
from keychannel.sales import selectors as sales_selectors

from .choices import SupportKind, SupportStatus
from .models import SupportBudget, SupportRequest
from .services.common import _save
from .services.support import check_proof

ZERO = Decimal("0")
FUNDED = (SupportStatus.APPROVED, SupportStatus.CLAIMED, SupportStatus.PAID)




# --- claims ------------------------------------------------------------------------------------------------------


def claimable(request: SupportRequest) -> Decimal:
    """What is left to claim on an approved request."""
    if request.kind != SupportKind.FINANCIAL or request.status != SupportStatus.APPROVED:
        return ZERO
    return max(request.amount_approved - request.amount_claimed, ZERO)


@transaction.atomic
def support_claim(*, principal, request: SupportRequest, amount: Decimal, proof, final: bool = False) -> SupportRequest:
    """Claim part or all of an approved request's money with proof.

    Claims add up on the request; it stays open for more claims until the approved amount is reached, or until
    the claimant says this is the last claim (``final``), which releases the rest to the budget. The request is
    then "claimed" and can be paid. Anything refused changes nothing.
    """
    require(principal, "program.support.claim", request)
    # Lock the request first: a second claim on the same request waits here and then reads the first one's total.
    request = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if request.kind != SupportKind.FINANCIAL:
        raise ValidationError(_("Only financial support is claimed."))
    if request.status != SupportStatus.APPROVED:
        raise ConflictError(_("Only an approved request can be claimed (this one is %(status)s).")
                            % {"status": request.get_status_display().lower()})
    if amount is None or amount <= 0:
        raise ValidationError({"amount_claimed": _("Claim a positive amount.")})
    left = request.amount_approved - request.amount_claimed
    if amount > left:
        raise ValidationError({"amount_claimed": _(
            "The claim of %(amount)s RON is above the %(left)s RON left of the %(approved)s RON approved "
            "(%(claimed)s RON already claimed): it was not recorded."
        ) % {"amount": amount, "left": left, "approved": request.amount_approved, "claimed": request.amount_claimed}})
    content_type = check_proof(proof)
    # The approved amount is already reserved in the budget; the budget is still checked (and locked) so that a
    # budget lowered or over-committed by another path can never be overdrawn by a claim.
    budget = SupportBudget.objects.select_for_update().get(pk=request.budget_id)
    available = budget.remaining() + left
    if amount > available:
        raise ValidationError({"amount_claimed": _(
            "The claim of %(amount)s RON is above the %(available)s RON left in the %(year)s support budget: "
            "it was not recorded."
        ) % {"amount": amount, "available": available, "year": budget.year}})
    request.amount_claimed += amount
    request.proof = proof
    request.proof_content_type = content_type
    request.claimed_at = timezone.now()
    if final or request.amount_claimed >= request.amount_approved:
        request.status = SupportStatus.CLAIMED
    return _save(request)


# --- return on support -------------------------------------------------------------------------------------------


def _money(value) -> Decimal:
    # Sums come back as "70000" on SQLite and "70000.00" on PostgreSQL: one shape for pages and the API.
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class SupportReturn:
    """What a funded activity cost and what followed it (see ``support_return``)."""

    request: SupportRequest
    start: date
    end: date
    spend: Decimal
    registrations: int
    pipeline_value: Decimal
    pipeline_deals: int
    won_value: Decimal
    won_deals: int
    sell_out: Decimal

    @property
    def ratio(self) -> Decimal | None:
        """Attributed won value per RON spent; None while nothing is spent."""
        return (self.won_value / self.spend).quantize(Decimal("0.01")) if self.spend else None


def spend_of(request: SupportRequest) -> Decimal:
    """Money the activity costs: what was claimed once claiming is over, else what is approved (still reserved)."""
    if request.status in (SupportStatus.CLAIMED, SupportStatus.PAID):
        return request.amount_claimed
    return max(request.amount_approved, request.amount_claimed)


def window(request: SupportRequest, on: date | None = None) -> tuple[date, date] | None:
    """The attribution window: from the approval day to ``return_months`` later, not after ``on`` (today)."""
    if request.decided_at is None or request.status not in FUNDED or request.kind != SupportKind.FINANCIAL:
        return None
    start = timezone.localtime(request.decided_at).date()
    end = min(_add_months(start, request.return_months), on or timezone.localdate())
    return start, end


def support_return(*, principal, request: SupportRequest, on: date | None = None) -> SupportReturn | None:
    """The attribution rule (docs/program.md): same distributor; the request's client if it names one; the window.

    - registrations: approved (or since expired) with their decision in the window;
    - pipeline: deals opened in the window and still open, at their value;
    - won deals: deals won in the window (``closed_on``), at their value;
    - sell-out: lines of applied sales reports dated in the window.
    """
    span = window(request, on)
    if span is None:
        return None
    start, end = span
    deals = deal_selectors.opportunity_list(principal=principal).filter(distributor_id=request.distributor_id)
    registrations = channel_selectors.registration_list(principal=principal).filter(
        distributor_id=request.distributor_id, status__in=["approved", "expired"],
        decided_at__date__gte=start, decided_at__date__lte=end)
    lines = sales_selectors.line_list(principal=principal, filters={
        "distributor_id": request.distributor_id, "date_from": start, "date_to": end,
    }).filter(report__status="applied")
    if request.client_id:
        deals = deals.filter(client_id=request.client_id)
        registrations = registrations.filter(client_id=request.client_id)
        lines = lines.filter(client_id=request.client_id)
    won = deals.filter(stage="won", closed_on__gte=start, closed_on__lte=end).order_by().aggregate(
        value=Sum("value"), n=Count("pk"))
    pipeline = (deals.filter(stage__in=OPEN_STAGES).filter(created_at__date__gte=start, created_at__date__lte=end)
                .order_by().aggregate(value=Sum("value"), n=Count("pk")))
    return SupportReturn(
        request=request, start=start, end=end, spend=_money(spend_of(request)),
        registrations=registrations.order_by().count(),
        pipeline_value=_money(pipeline["value"]), pipeline_deals=pipeline["n"],
        won_value=_money(won["value"]), won_deals=won["n"],
        sell_out=_money(lines.order_by().aggregate(v=Sum("amount"))["v"]),
    )


def distributor_returns(*, principal, distributor, on: date | None = None) -> list[SupportReturn]:
    """The return of each funded activity of one distributor (its program page), newest first."""
    requests = (SupportRequest.objects.visible_to(principal)
                .filter(distributor=distributor, kind=SupportKind.FINANCIAL, status__in=FUNDED)
                .select_related("client").order_by("-decided_at", "-pk")[:50])
    return [r for r in (support_return(principal=principal, request=req, on=on) for req in requests) if r is not None]

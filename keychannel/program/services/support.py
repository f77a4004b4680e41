"""Support: yearly budgets, requests and decisions, proofs, payment, completion, awards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send
from keychannel.core.uploads import PDF_PNG_JPEG, checked_content_type
from keychannel.network.models import Distributor

from ..choices import SupportKind, SupportStatus
from ..models import Award, Program, SupportBudget, SupportRequest
from .common import _heads, _save

PROOF_TYPES = PDF_PNG_JPEG
PROOF_MAX_BYTES = 5 * 1024 * 1024


# --- support -------------------------------------------------------------------------------------------------------


def _locked_budget(budget_id) -> SupportBudget:
    """Lock the budget row so that two approvals or claims cannot both spend the same money."""
    return SupportBudget.objects.select_for_update().get(pk=budget_id)


@transaction.atomic
def budget_set(*, principal, distributor: Distributor, year: int, amount: Decimal) -> SupportBudget:
    require(principal, "program.budget.change", distributor)
    budget = SupportBudget.objects.select_for_update().filter(distributor=distributor, year=year).first()
    if budget is None:
        budget = SupportBudget(distributor=distributor, year=year, amount=amount)
    else:
        committed = budget.committed()
        if amount < committed:
            raise ValidationError({"amount": _("%(committed)s RON is already approved or claimed: the budget cannot be lower.")
                                   % {"committed": committed}})
        budget.amount = amount
    return _save(budget)


@transaction.atomic
def support_request_create(
    *, principal, distributor: Distributor, kind: str, title: str, description: str,
    amount_requested: Decimal = Decimal(0), year: int | None = None, client=None, return_months: int | None = None,
) -> SupportRequest:
    require(principal, "program.support.request", distributor)
    if kind not in SupportKind.values:
        raise ValidationError({"kind": _("Choose financial, methodological or co-selling support.")})
    budget = None
    amount_requested = amount_requested or Decimal(0)
    if kind == SupportKind.FINANCIAL:
        year = year or timezone.localdate().year
        budget = SupportBudget.objects.filter(distributor=distributor, year=year).first()
        if budget is None:
            raise ValidationError({"kind": _("There is no support budget for %(year)s yet.") % {"year": year}})
        if amount_requested <= 0:
            raise ValidationError({"amount_requested": _("Say how much financial support you ask for.")})
    request = _save(
        SupportRequest(distributor=distributor, budget=budget, kind=kind, title=title, description=description,
                       amount_requested=amount_requested, requested_by=principal.user, client=client,
                       return_months=return_months or 12)
    )
    return request


@transaction.atomic
def support_decide(*, principal, request: SupportRequest, approve: bool, amount_approved: Decimal | None = None,
                   note: str = "") -> SupportRequest:
    require(principal, "program.support.decide", request)
    request = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != SupportStatus.REQUESTED:
        raise ConflictError(_("This request has already been decided."))
    if approve and request.kind == SupportKind.FINANCIAL:
        amount = request.amount_requested if amount_approved is None else amount_approved
        if amount <= 0:
            raise ValidationError({"amount_approved": _("Approve a positive amount, or reject the request.")})
        budget = _locked_budget(request.budget_id)
        remaining = budget.remaining()
        if amount > remaining:
            raise ValidationError({"amount_approved": _(
                "%(amount)s RON is more than the %(remaining)s RON left in the %(year)s budget."
            ) % {"amount": amount, "remaining": remaining, "year": budget.year}})
        request.amount_approved = amount
    request.status = SupportStatus.APPROVED if approve else SupportStatus.REJECTED
    request.decided_by = principal.user
    request.decided_at = timezone.now()
    request.decision_note = (note or "").strip()
    _save(request)
    for head in _heads([request.distributor_id]):
        notification_send(recipient=head, event="program.support", sender=principal.user,
                          title=lambda: _("Support request %(status)s: %(title)s")
                          % {"status": request.get_status_display().lower(), "title": request.title},
                          body=request.decision_note, url=request.get_absolute_url())
    return request


def check_proof(upload) -> str:
    """The proof's content type, after checking the declared type, the first bytes and the size."""
    if upload is None:
        raise ValidationError({"proof": _("Attach the proof (invoice, receipt): PDF, PNG or JPEG.")})
    return checked_content_type(upload, field="proof", allowed=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES,
                                too_large=_("The proof is larger than 5 MB."),
                                wrong_type=_("The proof must be a PDF, PNG or JPEG file."))


@transaction.atomic
def support_pay(*, principal, request: SupportRequest) -> SupportRequest:
    require(principal, "program.support.pay", request)
    request = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != SupportStatus.CLAIMED:
        raise ConflictError(_("Only a claimed request can be paid."))
    request.status = SupportStatus.PAID
    request.paid_at = timezone.now()
    return _save(request)


@transaction.atomic
def support_complete(*, principal, request: SupportRequest, note: str = "") -> SupportRequest:
    """A methodological or co-selling request that was delivered."""
    require(principal, "program.support.decide", request)
    request = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if request.kind == SupportKind.FINANCIAL or request.status != SupportStatus.APPROVED:
        raise ConflictError(_("Only an approved methodological or co-selling request can be marked done."))
    request.status = SupportStatus.DONE
    if note:
        request.decision_note = note
    return _save(request)


@transaction.atomic
def award_grant(*, principal, distributor: Distributor, title: str, reason: str, awarded_on: date | None = None,
                program: Program | None = None) -> Award:
    require(principal, "program.award.grant", distributor)
    award = _save(Award(distributor=distributor, program=program, title=title, reason=reason,
                        awarded_on=awarded_on or timezone.localdate(), awarded_by=principal.user))
    for head in _heads([distributor.pk]):
        notification_send(recipient=head, event="program.support", sender=principal.user,
                          title=lambda: _("Award: %(title)s") % {"title": title}, body=reason,
                          url=award.get_absolute_url())
    return award

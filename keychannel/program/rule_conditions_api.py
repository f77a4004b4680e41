"""API of penalties and restrictions by rule: raise entries from their conditions on demand, read a distributor's
ledger with its evidence, appeal and decide. Operations join the program router."""

from datetime import date
from decimal import Decimal

from django.http import Http404
from ninja import Field, Schema

from keychannel.core.policies import can
from keychannel.core.schemas import WRITE_ERRORS
from keychannel.core.scoping import get_visible_or_404

from . import rule_conditions, selectors, services
from .api import _distributor, router
from .models import LedgerEntry


class LedgerEntryOut(Schema):
    id: int
    distributor_id: int
    rule_id: int
    rule_code: str = Field(..., alias="rule.code")
    kind: str
    amount: Decimal
    evidence: str = Field(..., description="What record and what figure the entry rests on.")
    raised_by_condition: bool = Field(..., description="True when the rule's condition raised it, not a person.")
    applied_on: date
    expires_on: date | None
    appeal_status: str
    appeal_text: str
    appeal_decision: str

    @staticmethod
    def resolve_raised_by_condition(obj):
        return bool(obj.evidence_key)


class ApplyConditionsIn(Schema):
    program_id: int | None = Field(None, description="Default: the launched program.")
    on_date: date | None = Field(None, description="The day the conditions are checked for (default: today).")


class AppealIn(Schema):
    text: str = Field(..., max_length=4000)


class AppealDecisionIn(Schema):
    granted: bool
    decision: str = Field(..., max_length=4000)


@router.post("/program-rule-conditions/apply", response={200: list[LedgerEntryOut], **WRITE_ERRORS},
             summary="Raise the ledger entries the conditional penalty and restriction rules call for (idempotent)")
def rule_conditions_apply(request, payload: ApplyConditionsIn):
    program = None
    if payload.program_id is not None:
        program = selectors.program_get(principal=request.principal, pk=payload.program_id)
    return rule_conditions.apply_rule_conditions(principal=request.principal, program=program, on_date=payload.on_date)


@router.get("/distributors/{int:distributor_id}/ledger", response={200: list[LedgerEntryOut], **WRITE_ERRORS},
            summary="A distributor's rewards, restrictions and penalties with their evidence and appeals")
def ledger_list(request, distributor_id: int):
    distributor = _distributor(request.principal, distributor_id)
    if not can(request.principal, "program.business.view", distributor):
        # The ledger is the head's (LedgerEntry.visible_to gives salespeople no entry): an empty 200 would read
        # as "no penalties", so the list answers as for a record the caller may not see.
        raise Http404
    return selectors.ledger_list(principal=request.principal, distributor=distributor).order_by("-applied_on", "pk")


def _entry(principal, entry_id):
    return get_visible_or_404(LedgerEntry, principal, pk=entry_id)


@router.post("/ledger/{int:entry_id}/appeal", response={200: LedgerEntryOut, **WRITE_ERRORS},
             summary="The distributor head appeals a penalty or restriction")
def ledger_appeal(request, entry_id: int, payload: AppealIn):
    entry = _entry(request.principal, entry_id)
    return services.ledger_appeal(principal=request.principal, entry=entry, text=payload.text)


@router.post("/ledger/{int:entry_id}/decision", response={200: LedgerEntryOut, **WRITE_ERRORS},
             summary="The program office decides an appeal; the distributor head and channel manager are notified")
def ledger_decide(request, entry_id: int, payload: AppealDecisionIn):
    entry = _entry(request.principal, entry_id)
    return services.ledger_decide_appeal(principal=request.principal, entry=entry, granted=payload.granted,
                                         decision=payload.decision)

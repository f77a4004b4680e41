"""Writes of the deals app. Every write checks its policy first and runs in one transaction.

Stage rules live in ONE place, ``opportunity_move``: the form, the API and the kanban drag all call it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.clients.models import CorporateClient
from keychannel.clients.services import stakeholders_record_contact
from keychannel.core.assignment import records_refusals, require_assignable
from keychannel.core.choices import Role
from keychannel.core.events import emit
from keychannel.core.policies import can, require
from keychannel.core.services import notification_send

from . import gate, signoff
from .choices import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    WINNABLE_STAGES,
    LostReason,
    Origin,
    Stage,
    TestResult,
)
from .models import (
    DEFAULT_TIER_CODE,
    Activity,
    ContractNotice,
    CorporateContract,
    CorporateTier,
    Opportunity,
    ProductTest,
    StageChange,
    StageSetting,
)

CONTRACT_TERM_DAYS = 365
RENEWAL_LEAD_DAYS = 60
UPDATABLE_FIELDS = {
    "title", "value", "volume", "expected_close_on", "next_step", "next_step_on", "source_reference",
    "product_lines", "owner", "mentor", "kam", "external_id",
}
REASSIGN_FIELDS = {"owner", "mentor", "kam"}


def stage_probability(stage: str) -> int:
    setting = StageSetting.objects.filter(stage=stage).values_list("probability", flat=True).first()
    return DEFAULT_PROBABILITY[Stage(stage)] if setting is None else setting


def _check_people(*, distributor, owner, mentor=None, kam=None, errors: dict):
    """The owner works for the manufacturer or for the deal's distributor; mentor and KAM have those roles."""
    if owner is not None:
        membership = getattr(owner, "membership", None)
        if membership is None:
            errors["owner"] = _("The owner has no role in the network.")
        elif membership.role not in {str(r) for r in Role if r not in (Role.DIST_HEAD, Role.DIST_SALES)}:
            if distributor is None or membership.organization_id != distributor.organization_id:
                errors["owner"] = _("The owner must work for the manufacturer or for the deal's distributor.")
    for name, user, role in (("mentor", mentor, Role.MENTOR), ("kam", kam, Role.EMBEDDED_KAM)):
        if user is not None and getattr(getattr(user, "membership", None), "role", None) != role:
            errors[name] = _("Choose a user with the role %(role)s.") % {"role": Role(role).label}


@records_refusals
@transaction.atomic
def opportunity_create(
    *, principal, client: CorporateClient, distributor, owner, title: str, product_lines=None, mentor=None,
    kam=None, value=Decimal("0"), volume=Decimal("0"), stage: str = Stage.DISCUSSION, expected_close_on=None,
    next_step: str = "", next_step_on=None, origin: str = Origin.MANUAL, source_reference: str = "",
    gate_override_reason: str = "", external_id: str | None = None,
) -> Opportunity:
    """Open a deal. ``distributor`` is the client's distributor, or None for a direct (manufacturer-led) deal.

    Also the entry point of the channel app for manufacturer-led projects (principal: a program manager,
    ``origin=out_of_scope_project``, ``distributor=None``).
    """
    if distributor is None:
        require(principal, "deals.opportunity.create_direct")
    else:
        require(principal, "deals.opportunity.create", distributor)
    errors = {}
    if not CorporateClient.objects.visible_to(principal).filter(pk=client.pk).exists():
        errors["client"] = _("Choose a client you can see.")
    elif distributor is not None and client.distributor_id != distributor.pk:
        errors["distributor"] = _("A deal runs through the client's own distributor, or is direct.")
    if distributor is not None and client.out_of_scope:
        errors["distributor"] = _("This client was taken out of scope: only direct deals are possible.")
    if principal.has_role(Role.DIST_SALES) and owner is not None and owner.pk != principal.user_id:
        errors["owner"] = _("A salesperson opens deals they own.")
    _check_people(distributor=distributor, owner=owner, mentor=mentor, kam=kam, errors=errors)
    if stage not in OPEN_STAGES:
        errors["stage"] = _("A new deal starts in an open stage.")
    if origin not in Origin.values:
        errors["origin"] = _("Choose an origin from the list.")
    if errors:
        raise ValidationError(errors)
    for name, person in (("owner", owner), ("mentor", mentor), ("kam", kam)):
        require_assignable(principal, person, field=name, obj=Opportunity)
    now = timezone.now()
    opportunity = Opportunity(
        title=title, client=client, distributor=distributor, owner=owner, mentor=mentor, kam=kam,
        value=value, volume=volume, stage=stage, probability=stage_probability(stage), stage_entered_at=now,
        expected_close_on=expected_close_on, next_step=next_step, next_step_on=next_step_on, origin=origin,
        source_reference=source_reference, created_by=principal.user, external_id=external_id,
    )
    # Opened past the first stage: the registration gate (docs/rules.md), before anything is written.
    gate.enforce(principal=principal, opportunity=opportunity, stage=stage, product_lines=product_lines or [],
                 override_reason=gate_override_reason)
    opportunity.full_clean()
    opportunity.save()
    if product_lines:
        opportunity.product_lines.set(product_lines)
    StageChange.objects.create(opportunity=opportunity, from_stage="", to_stage=stage, changed_by=principal.user,
                               changed_at=now, note=_("Deal opened"))
    return opportunity


@records_refusals
@transaction.atomic
def opportunity_update(*, principal, opportunity: Opportunity, **fields) -> Opportunity:
    """Change what a deal is about (not its stage: that is ``opportunity_move``)."""
    require(principal, "deals.opportunity.change", opportunity)
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if REASSIGN_FIELDS & set(fields):
        changing = {k for k in REASSIGN_FIELDS & set(fields) if fields[k] != getattr(opportunity, k)}
        if changing:
            require(principal, "deals.opportunity.reassign", opportunity)
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opportunity.stage == Stage.WON:
        raise ValidationError(_("A won deal is closed: change its corporate contract instead."))
    errors = {}
    if "owner" in fields and fields["owner"] is None:
        errors["owner"] = _("A deal needs an owner.")
    _check_people(distributor=opportunity.distributor, owner=fields.get("owner"), mentor=fields.get("mentor"),
                  kam=fields.get("kam"), errors=errors)
    if errors:
        raise ValidationError(errors)
    for name in sorted(REASSIGN_FIELDS & set(fields)):  # the locked row holds the current people
        require_assignable(principal, fields[name], field=name, obj=opportunity)
    product_lines = fields.pop("product_lines", None)
    # What the gate looks at changes (the form posts every field, so compare): checked again past the first stage.
    regate = ("value" in fields and fields["value"] != opportunity.value) or (
        product_lines is not None
        and {p.pk for p in product_lines} != set(opportunity.product_lines.values_list("pk", flat=True)))
    for name, value in fields.items():
        setattr(opportunity, name, value)
    if regate:
        gate.enforce(principal=principal, opportunity=opportunity, stage=opportunity.stage,
                     product_lines=product_lines if product_lines is not None else opportunity.product_lines.all())
    opportunity.full_clean()
    opportunity.save()
    if product_lines is not None:
        opportunity.product_lines.set(product_lines)
    return opportunity


def _win_blockers(opportunity: Opportunity) -> dict:
    """Why this deal cannot be won yet (empty when it can). See docs/deals.md, "Stage rules"."""
    errors = {}
    if opportunity.stage not in WINNABLE_STAGES:
        errors["stage"] = _("Make a proposal first: a deal is won from the proposal or negotiation stage.")
    if test_blocker := signoff.win_blockers(opportunity):
        errors["product_tests"] = test_blocker
    if opportunity.value <= 0:
        errors["value"] = _("Enter the deal's value before winning it: the contract needs it.")
    return errors


def _check_tier_setter(principal, tier, contract=None) -> None:
    """The program tier is the manufacturer's call (issue 23, finding 10): refuse it from anybody else."""
    current = contract.tier_id if contract is not None else DEFAULT_TIER_CODE
    if tier and tier != current and not can(principal, "deals.contract.set_tier", contract):
        raise ValidationError({"tier": _("Only the manufacturer sets a contract's program tier.")})


def _tier_by_code(code: str) -> CorporateTier:
    tier = CorporateTier.objects.filter(code=code).first()
    if tier is None:
        raise ValidationError({"tier": _("Choose a tier from the list.")})
    return tier


def tier_changed(contract: CorporateContract) -> bool:
    stored = CorporateContract.objects.filter(pk=contract.pk).values_list("tier", flat=True).first()
    return stored != contract.tier_id


def check_tier_volume(principal, contract: CorporateContract, *, exception_reason: str | None = None,
                      changed: bool = True) -> None:
    """A contract's tier must match its committed annual volume (issue 15 part 4).

    The contract's annual volume (``annual_volume()``) must reach the tier's threshold, unless a manufacturer role
    records an exception with a reason (kept on the contract with who and when). Called before the save by every
    path that sets a tier or the terms behind the volume; ``changed=False`` (nothing tier-related changed) skips
    it so an old contract can still be edited in other fields.
    """
    reason = (exception_reason or "").strip()
    if reason:
        if not can(principal, "deals.contract.tier_exception", contract):
            raise ValidationError({"tier_exception_reason": _("Only the manufacturer records a tier exception.")})
        contract.tier_exception_reason = reason
        contract.tier_exception_by = principal.user
        contract.tier_exception_at = timezone.now()
        return
    if not changed:
        return
    if contract.tier_exception_reason and contract.pk and not tier_changed(contract):
        return  # the exception recorded for this tier stands
    tier = _tier_by_code(contract.tier_id)
    volume = contract.annual_volume()
    if volume >= tier.min_annual_volume:
        contract.tier_exception_reason, contract.tier_exception_by, contract.tier_exception_at = "", None, None
        return
    raise ValidationError({"tier": _(
        "The %(tier)s tier starts at %(threshold)s RON a year; this contract commits %(volume)s RON a year. "
        "Choose a lower tier, or a manufacturer role records an exception with a reason."
    ) % {"tier": tier.name, "threshold": f"{tier.min_annual_volume:,.0f}", "volume": f"{volume:,.0f}"}})


def _contract_for_win(*, principal, opportunity: Opportunity, today: datetime.date, terms: dict) -> CorporateContract:
    """Extend the client's active contract through the same channel, or create one."""
    contract = (
        CorporateContract.objects.select_for_update()
        .filter(client_id=opportunity.client_id, distributor_id=opportunity.distributor_id, status="active",
                ends_on__gte=today)
        .order_by("-ends_on", "-id")
        .first()
    )
    starts_on = terms.get("starts_on") or today
    ends_on = terms.get("ends_on") or (starts_on + datetime.timedelta(days=CONTRACT_TERM_DAYS - 1))
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The contract cannot end before it starts.")})
    tier = terms.get("tier") or None
    if tier is not None:
        _tier_by_code(tier)
    _check_tier_setter(principal, tier, contract)
    if contract is None:
        contract = CorporateContract(
            client_id=opportunity.client_id, distributor_id=opportunity.distributor_id, owner_id=opportunity.owner_id,
            starts_on=starts_on, ends_on=ends_on, volume_commitment=opportunity.volume, value=opportunity.value,
            tier_id=tier or DEFAULT_TIER_CODE,
        )
    else:
        contract.ends_on = max(contract.ends_on, ends_on)
        contract.volume_commitment += opportunity.volume
        contract.value += opportunity.value
        if tier:
            contract.tier_id = tier
        if contract.owner_id is None:
            contract.owner_id = opportunity.owner_id
    contract.renewal_on = contract.ends_on - datetime.timedelta(days=RENEWAL_LEAD_DAYS)
    check_tier_volume(principal, contract, exception_reason=terms.get("tier_exception_reason"), changed=bool(tier))
    contract.full_clean()
    contract.save()
    return contract


def _lost_reason_errors(code: str, details: str) -> dict:
    """A lost deal says why, from the list (docs/rules.md); "other" is written out. One rule for the deal page, the
    kanban and the API."""
    if code not in LostReason.values:
        return {"lost_reason_code": _("Choose why the deal was lost.")}
    if code == LostReason.OTHER and not details:
        return {"lost_reason": _("Say why the deal was lost.")}
    return {}


@transaction.atomic
def opportunity_move(*, principal, opportunity: Opportunity, stage: str, lost_reason: str | None = None,
                     lost_reason_code: str | None = None, note: str = "", contract_terms: dict | None = None,
                     gate_override_reason: str = "", test_override_reason: str = "") -> Opportunity:
    """Move a deal to another stage, with the rules of docs/deals.md. Won creates or extends a contract.

    A pending or failed product test blocks the win unless a manufacturer role gives ``test_override_reason``
    (docs/rules.md, "Product-test sign-off"); the override is recorded on the deal.
    """
    require(principal, "deals.opportunity.change", opportunity)
    if stage not in Stage.values:
        raise ValidationError({"stage": _("Choose a stage from the list.")})
    current = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if current.stage == stage:
        return current
    if current.stage == Stage.WON:
        raise ValidationError({"stage": _("A won deal is closed: its corporate contract exists.")})
    reason = (lost_reason or "").strip()
    code = lost_reason_code or ""
    if stage == Stage.LOST and (errors := _lost_reason_errors(code, reason)):
        raise ValidationError(errors)
    if stage == Stage.WON:
        errors = _win_blockers(current)
        override = (test_override_reason or "").strip()
        if "product_tests" in errors and override:
            if not can(principal, "deals.opportunity.test_override", current):
                errors["test_override_reason"] = _(
                    "Only a manufacturer role on this deal may win it despite its product test.")
            elif len(errors) == 1:  # the test is the only blocker: the override lifts it, and is recorded
                errors = {}
                current.test_override_reason = override[:2000]
                current.test_override_by = principal.user
                current.test_override_at = timezone.now()
        if errors:
            raise ValidationError(errors)
    gate.enforce(principal=principal, opportunity=current, stage=stage, product_lines=current.product_lines.all(),
                 override_reason=gate_override_reason)
    now = timezone.now()
    today = timezone.localdate()
    previous = current.stage
    current.stage = stage
    current.probability = stage_probability(stage)
    current.stage_entered_at = now
    current.lost_reason = reason if stage == Stage.LOST else ""
    current.lost_reason_code = code if stage == Stage.LOST else ""
    current.closed_on = today if stage in CLOSED_STAGES else None
    if stage == Stage.WON:
        contract = _contract_for_win(principal=principal, opportunity=current, today=today, terms=contract_terms or {})
        current.contract = contract
        for test in current.product_tests.filter(result=TestResult.PASSED):
            test.contract = contract
            test.save(update_fields=["contract", "updated_at"])
    current.full_clean()
    current.save()
    StageChange.objects.create(opportunity=current, from_stage=previous, to_stage=stage, changed_by=principal.user,
                               changed_at=now, note=(note or reason)[:300])
    emit("deal.stage_changed", current)
    if stage == Stage.WON:
        emit("deal.won", current)
        emit("contract.signed", current.contract)
    elif stage == Stage.LOST:
        emit("deal.lost", current)
    return current


def _participants_valid(*, opportunity, stakeholders, participants, errors):
    if any(s.client_id != opportunity.client_id for s in stakeholders):
        errors["stakeholders"] = _("Choose people of this deal's client.")
    org_ids = {opportunity.distributor.organization_id} if opportunity.distributor_id else set()
    for user in participants:
        membership = getattr(user, "membership", None)
        if membership is None or not (
            membership.role not in (Role.DIST_HEAD, Role.DIST_SALES) or membership.organization_id in org_ids
        ):
            errors["participants"] = _("Our participants work for the manufacturer or the deal's distributor.")
            break


@transaction.atomic
def activity_log(*, principal, opportunity: Opportunity, kind: str, subject: str, occurred_on: datetime.date,
                 outcome: str = "", stakeholders=(), participants=(), product_test=None) -> Activity:
    """Record work done on a deal; the client participants' last contact moves to its date."""
    require(principal, "deals.opportunity.change", opportunity)
    stakeholders, participants = list(stakeholders or []), list(participants or [])
    errors = {}
    if occurred_on is None:
        errors["occurred_on"] = _("Enter the date.")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("Log what happened; plan the future as the deal's next step.")
    if product_test is not None and product_test.opportunity_id != opportunity.pk:
        errors["product_test"] = _("Choose a product test of this deal.")
    _participants_valid(opportunity=opportunity, stakeholders=stakeholders, participants=participants, errors=errors)
    if errors:
        raise ValidationError(errors)
    activity = Activity(opportunity=opportunity, kind=kind, subject=subject, occurred_on=occurred_on, outcome=outcome,
                        product_test=product_test, created_by=principal.user)
    activity.full_clean()
    activity.save()
    activity.stakeholders.set(stakeholders)
    activity.participants.set(participants)
    if stakeholders:
        stakeholders_record_contact(stakeholder_ids=[s.pk for s in stakeholders], on_date=occurred_on)
    Opportunity.objects.filter(pk=opportunity.pk).update(updated_at=timezone.now())
    return activity


@transaction.atomic
def activity_update(*, principal, activity: Activity, **fields) -> Activity:
    opportunity = activity.opportunity
    require(principal, "deals.opportunity.change", opportunity)
    allowed = {"kind", "subject", "occurred_on", "outcome", "stakeholders", "participants"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    stakeholders = fields.pop("stakeholders", None)
    participants = fields.pop("participants", None)
    errors = {}
    if fields.get("occurred_on") and fields["occurred_on"] > timezone.localdate():
        errors["occurred_on"] = _("Log what happened; plan the future as the deal's next step.")
    _participants_valid(opportunity=opportunity, stakeholders=stakeholders or [], participants=participants or [],
                        errors=errors)
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.full_clean()
    activity.save()
    if stakeholders is not None:
        activity.stakeholders.set(stakeholders)
    if participants is not None:
        activity.participants.set(participants)
    if stakeholders:
        stakeholders_record_contact(stakeholder_ids=[s.pk for s in stakeholders], on_date=activity.occurred_on)
    return activity


def _check_signoff(opportunity, stakeholders, errors):
    if any(s.client_id != opportunity.client_id for s in stakeholders):
        errors["signoff_stakeholders"] = _("Choose people of this deal's client.")


@transaction.atomic
def product_test_create(*, principal, opportunity: Opportunity, title: str, starts_on: datetime.date,
                        success_criteria: str, plan: str = "", samples: str = "", ends_on=None,
                        signoff_stakeholders=()) -> ProductTest:
    require(principal, "deals.opportunity.change", opportunity)
    if not opportunity.is_open:
        raise ValidationError(_("The deal is closed: no new product tests."))
    signers = list(signoff_stakeholders or [])
    errors = {}
    _check_signoff(opportunity, signers, errors)
    if errors:
        raise ValidationError(errors)
    test = ProductTest(opportunity=opportunity, title=title, starts_on=starts_on, ends_on=ends_on, plan=plan,
                       samples=samples, success_criteria=success_criteria)
    test.full_clean()
    test.save()
    test.signoff_stakeholders.set(signers)
    return test


@transaction.atomic
def product_test_update(*, principal, product_test: ProductTest, **fields) -> ProductTest:
    """Change a test's plan or record its result (a decided result gets a decision date, today by default)."""
    require(principal, "deals.opportunity.change", product_test.opportunity)
    allowed = {"title", "plan", "samples", "starts_on", "ends_on", "success_criteria", "signoff_stakeholders",
               "result", "result_notes", "decided_on"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if product_test.contract_id is not None:
        raise ValidationError(_("This test led to a contract: its record is closed."))
    signers = fields.pop("signoff_stakeholders", None)
    errors = {}
    if signers is not None:
        _check_signoff(product_test.opportunity, signers, errors)
    result = fields.get("result", product_test.result)
    if result not in TestResult.values:
        errors["result"] = _("Choose a result from the list.")
    elif result == TestResult.PASSED and (product_test.result != TestResult.PASSED or signers is not None):
        # Passed only with the recorded approvals (docs/rules.md, "Product-test sign-off"), on every path.
        if blockers := signoff.pass_blockers(product_test, signers=signers):
            errors["result"] = " ".join([_("The test cannot be passed yet:"), *blockers])
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(product_test, name, value)
    if product_test.result == TestResult.PENDING:
        product_test.decided_on = None
    elif product_test.decided_on is None:
        product_test.decided_on = timezone.localdate()
    product_test.full_clean()
    product_test.save()
    if signers is not None:
        product_test.signoff_stakeholders.set(signers)
    return product_test


@records_refusals
@transaction.atomic
def contract_update(*, principal, contract: CorporateContract, **fields) -> CorporateContract:
    require(principal, "deals.contract.change", contract)
    allowed = {"status", "tier", "ends_on", "renewal_on", "volume_commitment", "notes", "owner", "tier_exception_reason",
               "external_id"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    exception_reason = fields.pop("tier_exception_reason", None)
    tier = fields.pop("tier", None)
    if isinstance(tier, CorporateTier):
        tier = tier.code
    _check_tier_setter(principal, tier, contract)
    if "owner" in fields:
        require_assignable(principal, fields["owner"], field="owner", obj=contract)
    before = (contract.tier_id, contract.ends_on)
    if tier:
        contract.tier = _tier_by_code(tier)
    for name, value in fields.items():
        setattr(contract, name, value)
    check_tier_volume(principal, contract, exception_reason=exception_reason,
                      changed=(contract.tier_id, contract.ends_on) != before)
    contract.full_clean()
    contract.save()
    return contract


@transaction.atomic
def stage_setting_update(*, principal, setting: StageSetting, probability: int) -> StageSetting:
    """Change a stage's probability and re-weight every deal in that stage."""
    require(principal, "deals.stagesetting.change", setting)
    setting.probability = probability
    setting.full_clean()
    setting.save()
    Opportunity.objects.filter(stage=setting.stage).exclude(probability=probability).update(probability=probability)
    return setting


# Won and lost are facts, not estimates: a won deal counts in full, a lost one not at all.
FIXED_PROBABILITY = {Stage.WON: 100, Stage.LOST: 0}


@transaction.atomic
def stage_probability_set(*, principal, stage: str, probability: int, guidance: str | None = None) -> StageSetting:
    """The program office sets the win probability of an open stage; every deal in it is re-weighted at once, so
    the forecast (value × probability) follows. Won (100 %) and lost (0 %) are fixed."""
    require(principal, "deals.stagesetting.change")
    if stage not in Stage.values:
        raise ValidationError({"stage": _("Unknown stage.")})
    try:
        probability = int(probability)
    except (TypeError, ValueError):
        raise ValidationError({"probability": _("Give a whole number from 0 to 100.")}) from None
    if not 0 <= probability <= 100:
        raise ValidationError({"probability": _("Give a whole number from 0 to 100.")})
    fixed = FIXED_PROBABILITY.get(Stage(stage))
    if fixed is not None and probability != fixed:
        raise ValidationError({"probability": _("Won deals count in full and lost ones not at all: these two do not change.")})
    if guidance is not None and len(guidance) > 250:
        raise ValidationError({"guidance": _("250 characters at most.")})
    setting = StageSetting.objects.select_for_update().filter(stage=stage).first()
    if setting is None:
        setting = StageSetting(stage=stage, probability=probability)
    if guidance is not None:
        setting.guidance = guidance.strip()
    return stage_setting_update(principal=principal, setting=setting, probability=probability)


def notify_expiring_contracts(*, days: int = 60, today: datetime.date | None = None) -> int:
    """Tell each active contract's owner that it ends within ``days``; at most one notice per contract a day.

    A system job (the ``notify_expiring_contracts`` command): no principal, every contract is in scope.
    """
    today = today or timezone.localdate()
    sent = 0
    contracts = (
        CorporateContract.objects.expiring_within(days, today=today)
        .filter(owner__isnull=False)
        .exclude(notices__sent_on=today)
        .select_related("client", "owner")
    )
    for contract in contracts:
        try:
            with transaction.atomic():
                first = not contract.notices.exists()
                ContractNotice.objects.create(contract=contract, sent_on=today, recipient=contract.owner)
                if first:  # the contract enters its renewal window: once, not with every daily reminder
                    emit("contract.renewing", contract)
                notification_send(
                    recipient=contract.owner, event="contract.renewing",
                    title=lambda contract=contract: _("Corporate contract with %(client)s ends on %(date)s") % {
                        "client": contract.client.legal_name, "date": contract.ends_on.isoformat()},
                    body=lambda contract=contract: _("%(days)s days left. Plan the renewal with the client.") % {
                        "days": contract.days_left(today)},
                    url=contract.get_absolute_url(),
                )
        except IntegrityError:  # another run sent today's notice first
            continue
        sent += 1
    return sent

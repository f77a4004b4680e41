"""Rules and motivation: publish, acknowledge, and the ledger of bonuses, penalties and appeals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send
from keychannel.network.models import Distributor

from .. import metrics
from ..choices import AppealStatus, LedgerKind, ProgramStatus, RuleKind, RuleStatus
from ..models import Acknowledgement, LedgerEntry, Program, ProgramRule
from ..rule_conditions import check_condition
from .common import _heads, _save

# --- rules, acknowledgement, ledger -------------------------------------------------------------------------------


def _non_negative(parameters, key, message) -> Decimal:
    value = parameters.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError({"parameters": message})
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({"parameters": message}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({"parameters": message})
    return number


def _check_parameters(kind: str, parameters) -> dict:
    if not isinstance(parameters, dict):
        raise ValidationError({"parameters": _("Parameters are a JSON object.")})
    if kind == RuleKind.INCENTIVE:
        metric = parameters.get("metric")
        if not isinstance(metric, str) or metric not in metrics.METRICS:
            raise ValidationError({"parameters": _("An incentive names the metric it pays on (e.g. corporate_revenue).")})
        if "amount_per_unit" in parameters:
            _non_negative(parameters, "amount_per_unit", _("amount_per_unit must be a non-negative amount."))
        else:
            percent = _non_negative(parameters, "bonus_percent", _("bonus_percent must be a number between 0 and 100."))
            if percent > 100:
                raise ValidationError({"parameters": _("bonus_percent must be a number between 0 and 100.")})
        if "cap" in parameters:
            _non_negative(parameters, "cap", _("cap must be a non-negative amount."))
    return check_condition(kind, parameters)


@transaction.atomic
def rule_create(
    *, principal, program: Program, code: str, kind: str, title: str, text: str, parameters: dict | None = None
) -> ProgramRule:
    """A new draft version of the rule ``code`` (version 1 if the code is new)."""
    require(principal, "program.rule.change", program)
    if kind not in RuleKind.values:
        raise ValidationError({"kind": _("Choose incentive, restriction or penalty.")})
    parameters = _check_parameters(kind, parameters or {})
    Program.objects.select_for_update().filter(pk=program.pk).first()
    version = (ProgramRule.objects.filter(program=program, code=code).aggregate(v=Max("version"))["v"] or 0) + 1
    return _save(
        ProgramRule(program=program, code=code, version=version, kind=kind, title=title, text=text, parameters=parameters)
    )


@transaction.atomic
def rule_publish(*, principal, rule: ProgramRule) -> ProgramRule:
    """Publish a draft version (superseding the previous one) and ask every distributor head to acknowledge it."""
    require(principal, "program.rule.publish", rule)
    rule = ProgramRule.objects.select_for_update().select_related("program").get(pk=rule.pk)
    if rule.status != RuleStatus.DRAFT:
        raise ConflictError(_("This version is already published."))
    if rule.program.status != ProgramStatus.LAUNCHED:
        raise ValidationError(_("Rules are published to distributors once the program is launched."))
    ProgramRule.objects.filter(program=rule.program, code=rule.code, status=RuleStatus.PUBLISHED).update(
        status=RuleStatus.SUPERSEDED
    )
    rule.status = RuleStatus.PUBLISHED
    rule.published_at = timezone.now()
    rule.save()
    url = reverse("program:rule_list", args=[rule.program_id])
    for head in _heads():
        notification_send(
            recipient=head, event="program.rule", sender=principal.user,
            title=lambda: _("New program rule to acknowledge: %(title)s") % {"title": str(rule)},
            body=lambda: _("Read the rule and acknowledge it on the program rules page."), url=url,
        )
    return rule


@transaction.atomic
def rule_acknowledge(*, principal, rule: ProgramRule) -> Acknowledgement:
    distributor = Distributor.objects.filter(pk=principal.own_distributor_id).first()
    require(principal, "program.rule.acknowledge", distributor)
    if rule.status != RuleStatus.PUBLISHED:
        raise ValidationError(_("Only the current published version of a rule is acknowledged."))
    ack, _created = Acknowledgement.objects.get_or_create(
        rule=rule, distributor=distributor, defaults={"acknowledged_by": principal.user}
    )
    return ack


LEDGER_KIND_FOR_RULE = {RuleKind.PENALTY: LedgerKind.PENALTY, RuleKind.RESTRICTION: LedgerKind.RESTRICTION,
                        RuleKind.INCENTIVE: LedgerKind.REWARD}


@transaction.atomic
def ledger_apply(
    *, principal, distributor: Distributor, rule: ProgramRule, evidence: str, amount: Decimal = Decimal(0),
    applied_on: date | None = None, expires_on: date | None = None, owner=None,
) -> LedgerEntry:
    require(principal, "program.ledger.apply", distributor)
    if rule.status != RuleStatus.PUBLISHED:
        raise ValidationError({"rule": _("Only a published rule can be applied.")})
    if not (evidence or "").strip():
        raise ValidationError({"evidence": _("Record the evidence the entry rests on.")})
    entry = _save(
        LedgerEntry(
            distributor=distributor, rule=rule, kind=LEDGER_KIND_FOR_RULE[rule.kind], amount=amount or Decimal(0),
            evidence=evidence.strip(), owner=owner or principal.user, applied_on=applied_on or timezone.localdate(),
            expires_on=expires_on,
        )
    )
    for head in _heads([distributor.pk]):
        notification_send(
            recipient=head, event="program.rule", sender=principal.user,
            title=lambda: _("%(kind)s applied: %(rule)s") % {"kind": entry.get_kind_display(), "rule": rule.title},
            body=entry.evidence, url=entry.get_absolute_url(),
        )
    return entry


@transaction.atomic
def ledger_appeal(*, principal, entry: LedgerEntry, text: str) -> LedgerEntry:
    require(principal, "program.ledger.appeal", entry)
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.kind == LedgerKind.REWARD:
        raise ValidationError(_("Rewards are not appealed."))
    if entry.appeal_status != AppealStatus.NONE:
        raise ConflictError(_("This entry has already been appealed."))
    if not (text or "").strip():
        raise ValidationError({"appeal_text": _("Say why the entry should be lifted.")})
    entry.appeal_status = AppealStatus.APPEALED
    entry.appeal_text = text.strip()
    entry.save()
    notification_send(recipient=entry.owner, event="program.rule", sender=principal.user,
                      title=lambda: _("Appeal: %(entry)s") % {"entry": str(entry)}, body=entry.appeal_text,
                      url=entry.get_absolute_url())
    return entry


@transaction.atomic
def ledger_decide_appeal(*, principal, entry: LedgerEntry, granted: bool, decision: str) -> LedgerEntry:
    require(principal, "program.ledger.decide_appeal", entry)
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.appeal_status != AppealStatus.APPEALED:
        raise ValidationError(_("There is no open appeal on this entry."))
    if not (decision or "").strip():
        raise ValidationError({"appeal_decision": _("Record the reasons for the decision.")})
    entry.appeal_status = AppealStatus.GRANTED if granted else AppealStatus.UPHELD
    entry.appeal_decision = decision.strip()
    entry.save()
    # The decision reaches both sides of the distributor relationship: its head and its channel manager.
    recipients = list(_heads([entry.distributor_id]))
    manager = entry.distributor.channel_manager
    if manager is not None and manager.is_active and manager not in recipients:
        recipients.append(manager)
    for recipient in recipients:
        notification_send(
            recipient=recipient, event="program.rule", sender=principal.user,
            title=lambda: _("Appeal decided: %(entry)s: %(status)s") % {
                "entry": str(entry), "status": entry.get_appeal_status_display()},
            body=entry.appeal_decision, url=entry.get_absolute_url(),
        )
    return entry

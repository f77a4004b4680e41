"""Penalties and restrictions raised by their rule's condition, and restrictions that take effect (docs/rules.md).

A published penalty or restriction rule version may carry a machine-checkable condition in its parameters::

    {"condition": "registration_expired_no_activity"}
    {"condition": "goal_behind", "behind_percent": 20}           # at a milestone that is due, vs the pro-rated target
    {"condition": "not_acknowledged", "within_days": 14, "rule_code": "conduct"}   # rule_code: default every rule

plus optional ``amount`` (RON), ``duration_days`` (the entry's expiry) and, for a restriction, ``product_line``
(a product line code: no new registrations in it while the restriction is in force).

``apply_rule_conditions`` raises one ledger entry per distributor and piece of evidence, whatever the number of
runs: the entry's ``evidence_key`` (rule code + record) is unique per distributor, so the schedule and the
on-demand button may overlap. The program reads channel through its selectors, never the other way round: the
registration restriction reaches channel through the hook of keychannel/channel/benefits.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.channel import selectors as channel_selectors
from keychannel.core.policies import require
from keychannel.core.services import notification_send
from keychannel.network.models import Distributor, ProductLine

from . import metrics
from .choices import AppealStatus, LedgerKind, ProgramStatus, RuleKind, RuleStatus
from .models import Acknowledgement, LedgerEntry, Milestone, Program, ProgramRule
from .selectors.goals import target_to_date  # the goal page's own pro-rating, so both say the same

EXPIRED_NO_ACTIVITY = "registration_expired_no_activity"
GOAL_BEHIND = "goal_behind"
NOT_ACKNOWLEDGED = "not_acknowledged"
CONDITIONS = (EXPIRED_NO_ACTIVITY, GOAL_BEHIND, NOT_ACKNOWLEDGED)


def _number(parameters, key, message, *, integer=False, required=False):
    value = parameters.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError({"parameters": message})
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({"parameters": message}) from None
    if not number.is_finite() or number < 0 or (integer and number != number.to_integral_value()):
        raise ValidationError({"parameters": message})
    return number


def check_condition(kind: str, parameters: dict) -> dict:
    """Refuse a condition the scheduled check could not evaluate, when the rule is saved (every path)."""
    if "product_line" in parameters:
        if kind != RuleKind.RESTRICTION:
            raise ValidationError({"parameters": _("Only a restriction closes a product line.")})
        if not ProductLine.objects.filter(code=str(parameters["product_line"])).exists():
            raise ValidationError({"parameters": _("product_line must be the code of an existing product line.")})
    condition = parameters.get("condition")
    if condition is None:
        return parameters
    if kind not in (RuleKind.PENALTY, RuleKind.RESTRICTION):
        raise ValidationError({"parameters": _("Only a penalty or a restriction is raised by a condition.")})
    if condition not in CONDITIONS:
        raise ValidationError({"parameters": _("condition must be one of: %(names)s.") % {"names": ", ".join(CONDITIONS)}})
    if condition == GOAL_BEHIND:
        percent = _number(parameters, "behind_percent", _("behind_percent must be a number between 0 and 100."),
                          required=True)
        if percent > 100:
            raise ValidationError({"parameters": _("behind_percent must be a number between 0 and 100.")})
    if condition == NOT_ACKNOWLEDGED:
        _number(parameters, "within_days", _("within_days must be a whole number of days."), integer=True, required=True)
    _number(parameters, "amount", _("amount must be a non-negative amount."))
    _number(parameters, "duration_days", _("duration_days must be a whole number of days."), integer=True)
    return parameters


# --- finding the evidence -----------------------------------------------------------------------------------------


def _expired_registrations(rule, distributor_ids, on_date):
    for registration in channel_selectors.expired_without_activity(distributor_ids=distributor_ids, on_date=on_date):
        yield registration.distributor_id, f"registration:{registration.pk}", _(
            "Registration #%(id)s (%(client)s, %(title)s) expired on %(date)s with no activity on its deal "
            "during the protection period."
        ) % {"id": registration.pk, "client": registration.client_name, "title": registration.title,
             "date": registration.protected_until}


def _goals_behind(rule, distributor_ids, on_date):
    behind = Decimal(str(rule.parameters["behind_percent"]))
    milestones = (Milestone.objects.filter(goal__program=rule.program, goal__distributor_id__in=distributor_ids,
                                           due_on__lte=on_date, achieved_on__isnull=True)
                  .select_related("goal"))
    for milestone in milestones:
        goal = milestone.goal
        metric = metrics.get(goal.metric)
        if metric is None:
            continue
        expected = target_to_date(goal, milestone.due_on)
        actual = metric.total([goal.distributor_id], goal.starts_on, milestone.due_on)
        if not expected or actual >= expected * (1 - behind / 100):
            continue
        gap = ((expected - actual) * 100 / expected).quantize(Decimal("0.1"))
        yield goal.distributor_id, f"milestone:{milestone.pk}", _(
            "Goal '%(goal)s' at milestone '%(milestone)s' (due %(date)s): %(actual)s against %(expected)s expected "
            "to date, %(gap)s %% behind (the rule allows %(allowed)s %%)."
        ) % {"goal": goal.name, "milestone": milestone.title, "date": milestone.due_on, "actual": actual,
             "expected": expected, "gap": gap, "allowed": behind}


def _not_acknowledged(rule, distributor_ids, on_date):
    days = int(rule.parameters["within_days"])
    watched = ProgramRule.objects.filter(program=rule.program, status=RuleStatus.PUBLISHED,
                                         published_at__date__lte=on_date - timedelta(days=days))
    if rule.parameters.get("rule_code"):
        watched = watched.filter(code=rule.parameters["rule_code"])
    for watched_rule in watched:
        done = set(Acknowledgement.objects.filter(rule=watched_rule).values_list("distributor_id", flat=True))
        for distributor_id in distributor_ids:
            if distributor_id in done:
                continue
            yield distributor_id, f"ack:{watched_rule.pk}", _(
                "Rule '%(rule)s' published on %(date)s is not acknowledged after %(days)s days."
            ) % {"rule": str(watched_rule), "date": timezone.localdate(watched_rule.published_at), "days": days}


FINDERS = {EXPIRED_NO_ACTIVITY: _expired_registrations, GOAL_BEHIND: _goals_behind, NOT_ACKNOWLEDGED: _not_acknowledged}


# --- raising the entries ------------------------------------------------------------------------------------------


def _raise(rule, distributor_id, key, evidence, on_date):
    """One entry for this evidence, or None when an earlier run raised it already (also under a concurrent run)."""
    from .services.common import _heads  # services.rules imports this module (check_condition)
    from .services.rules import LEDGER_KIND_FOR_RULE

    full_key = f"{rule.code}:{key}"[:120]
    if LedgerEntry.objects.filter(distributor_id=distributor_id, evidence_key=full_key).exists():
        return None
    duration = rule.parameters.get("duration_days")
    entry = LedgerEntry(
        distributor_id=distributor_id, rule=rule, kind=LEDGER_KIND_FOR_RULE[rule.kind],
        amount=Decimal(str(rule.parameters.get("amount", 0))), evidence=evidence, owner=rule.program.manager,
        applied_on=on_date, expires_on=on_date + timedelta(days=int(duration)) if duration else None,
        evidence_key=full_key,
    )
    entry.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # a concurrent run raised it between our check and our insert
        return None
    for head in _heads([distributor_id]):
        notification_send(
            recipient=head, event="program.rule",
            title=lambda: _("%(kind)s applied: %(rule)s") % {"kind": entry.get_kind_display(), "rule": rule.title},
            body=evidence, url=entry.get_absolute_url(),
        )
    return entry


def apply_rule_conditions(*, principal=None, program: Program | None = None, on_date: date | None = None
                          ) -> list[LedgerEntry]:
    """Raise the entries the launched program's conditional rules call for; ``principal`` None: the schedule."""
    if program is None:
        program = Program.objects.filter(status=ProgramStatus.LAUNCHED).order_by("-starts_on", "-pk").first()
        if program is None:
            return []
    if principal is not None:
        require(principal, "program.ledger.apply", program)
    if program.status != ProgramStatus.LAUNCHED:
        raise ValidationError(_("Rule conditions are checked for a launched program only."))
    on_date = on_date or timezone.localdate()
    distributor_ids = list(Distributor.objects.filter(active=True).values_list("pk", flat=True))
    rules = ProgramRule.objects.filter(program=program, status=RuleStatus.PUBLISHED,
                                       kind__in=[RuleKind.PENALTY, RuleKind.RESTRICTION]).select_related("program__manager")
    raised = []
    with transaction.atomic():
        for rule in rules:
            finder = FINDERS.get((rule.parameters or {}).get("condition"))
            if finder is None:
                continue
            for distributor_id, key, evidence in finder(rule, distributor_ids, on_date):
                entry = _raise(rule, distributor_id, key, evidence, on_date)
                if entry is not None:
                    raised.append(entry)
    return raised


# --- restrictions in force ----------------------------------------------------------------------------------------


def in_force(on_date: date):
    return (Q(applied_on__lte=on_date) & (Q(expires_on__isnull=True) | Q(expires_on__gte=on_date))
            & ~Q(appeal_status=AppealStatus.GRANTED))


def registration_restriction_provider(distributor_id: int, product_line_ids: list[int], on_date: date) -> list[str]:
    """Channel's registration hook: a restriction in force naming one of these product lines refuses them."""
    codes = dict(ProductLine.objects.filter(pk__in=product_line_ids).values_list("code", "name"))
    if not codes:
        return []
    entries = (LedgerEntry.objects.filter(in_force(on_date), distributor_id=distributor_id, kind=LedgerKind.RESTRICTION)
               .select_related("rule"))
    messages = []
    for entry in entries:
        code = str((entry.rule.parameters or {}).get("product_line", ""))
        if code in codes:
            until = entry.expires_on or _("further notice")
            messages.append(_("New registrations in %(line)s are suspended by the program restriction '%(rule)s' "
                              "(ledger entry #%(id)s, until %(until)s).")
                            % {"line": codes[code], "rule": entry.rule.title, "id": entry.pk, "until": until})
    return messages

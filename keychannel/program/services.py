"""Writes of the program app. Every write checks its policy first and runs in one transaction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.choices import Role
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send
from keychannel.core.uploads import PDF_PNG_JPEG, checked_content_type
from keychannel.network.models import Distributor

from . import metrics
from .choices import (
    AppealStatus,
    BestPracticeStatus,
    EventStatus,
    GoalLevel,
    LedgerKind,
    ProgramStatus,
    Rsvp,
    RuleKind,
    RuleStatus,
    SignoffDecision,
    SupportKind,
    SupportStatus,
)
from .models import (
    Acknowledgement,
    Award,
    BestPractice,
    CalendarFeed,
    Course,
    Enrollment,
    Event,
    EventInvitation,
    Goal,
    LedgerEntry,
    Milestone,
    Program,
    ProgramRule,
    Signoff,
    SupportBudget,
    SupportRequest,
)

PROOF_TYPES = PDF_PNG_JPEG
PROOF_MAX_BYTES = 5 * 1024 * 1024
PROGRAM_FIELDS = {"name", "strategy", "manager", "starts_on", "ends_on"}


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def _heads(distributor_ids=None):
    users = get_user_model().objects.filter(membership__role=Role.DIST_HEAD, is_active=True)
    qs = users.filter(membership__organization__distributor__active=True)
    if distributor_ids is not None:
        qs = qs.filter(membership__organization__distributor__in=list(distributor_ids))
    return qs.select_related("membership__organization__distributor")


# --- program and sign-off ---------------------------------------------------------------------------------------


@transaction.atomic
def program_create(*, principal, name: str, strategy: str, manager, starts_on: date, ends_on: date) -> Program:
    require(principal, "program.program.create")
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The program cannot end before it starts.")})
    return _save(Program(name=name.strip(), strategy=strategy, manager=manager, starts_on=starts_on, ends_on=ends_on))


@transaction.atomic
def program_update(*, principal, program: Program, **fields) -> Program:
    require(principal, "program.program.change", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.DRAFT:
        raise ValidationError(_("Only a draft program can be changed; a submitted one is what the executives sign."))
    for name, value in fields.items():
        if name in PROGRAM_FIELDS:
            setattr(program, name, value)
    if program.ends_on < program.starts_on:
        raise ValidationError({"ends_on": _("The program cannot end before it starts.")})
    return _save(program)


@transaction.atomic
def program_submit(*, principal, program: Program) -> Program:
    """Draft → awaiting sign-off: every executive is asked to approve or object."""
    require(principal, "program.program.submit", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.DRAFT:
        raise ConflictError(_("Only a draft program can be submitted for sign-off."))
    program.status = ProgramStatus.AWAITING_SIGNOFF
    program.save()
    from .selectors import executives

    for user in executives():
        notification_send(
            recipient=user, event="program.changed", sender=principal.user,
            title=lambda: _("Sign-off requested: %(name)s") % {"name": program.name},
            body=lambda: _("Approve the program or object to it with a comment."), url=program.get_absolute_url(),
        )
    return program


@transaction.atomic
def signoff_record(*, principal, program: Program, decision: str, comment: str = "") -> Signoff:
    require(principal, "program.signoff.decide", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("Sign-off is only recorded while the program awaits it."))
    if decision not in SignoffDecision.values:
        raise ValidationError({"decision": _("Choose approve or object.")})
    comment = (comment or "").strip()
    if decision == SignoffDecision.OBJECT and not comment:
        raise ValidationError({"comment": _("Say why you object: the program manager needs it to change the program.")})
    # One decision per executive per version: a revision starts a new round and keeps the earlier decisions.
    signoff, _created = Signoff.objects.update_or_create(
        program=program, executive=principal.user, version=program.version,
        defaults={"decision": decision, "comment": comment},
    )
    notification_send(
        recipient=program.manager, event="program.changed", sender=principal.user,
        title=lambda: _("%(who)s: %(decision)s on %(name)s")
        % {"who": principal.user.get_full_name() or principal.user.get_username(),
           "decision": signoff.get_decision_display(), "name": program.name},
        body=comment, url=program.get_absolute_url(),
    )
    return signoff


@transaction.atomic
def program_launch(*, principal, program: Program, override_reason: str = "") -> Program:
    """Launch when every executive approved; otherwise only an admin may, with a recorded reason."""
    require(principal, "program.program.launch", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("Only a program awaiting sign-off can be launched."))
    from .selectors import signoff_board

    board = signoff_board(principal=principal, program=program)
    override_reason = (override_reason or "").strip()
    if not board["all_approved"]:
        if not principal.has_role(Role.ADMIN):
            raise ValidationError(
                _("Not every executive has approved: the program cannot launch without an administrator's override.")
            )
        if not override_reason:
            raise ValidationError({"override_reason": _("An override needs a recorded reason.")})
        require(principal, "program.program.override", program)
        program.override_reason = override_reason
        program.override_by = principal.user
    program.status = ProgramStatus.LAUNCHED
    program.launched_at = timezone.now()
    program.save()
    return program


@transaction.atomic
def program_close(*, principal, program: Program) -> Program:
    require(principal, "program.program.close", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.LAUNCHED:
        raise ValidationError(_("Only a launched program can be closed."))
    program.status = ProgramStatus.CLOSED
    program.save()
    return program


# --- goals and milestones -----------------------------------------------------------------------------------------


def _check_goal(goal: Goal):
    errors = {}
    if goal.metric not in metrics.METRICS:
        errors["metric"] = _("Unknown metric.")
    if goal.level == GoalLevel.DISTRIBUTOR and goal.distributor_id is None:
        errors["distributor"] = _("A distributor goal needs its distributor.")
    if goal.level != GoalLevel.DISTRIBUTOR and goal.distributor_id is not None:
        errors["distributor"] = _("Only distributor goals name a distributor.")
    if goal.parent_id:
        parent = goal.parent
        if parent.program_id != goal.program_id:
            errors["parent"] = _("The parent goal belongs to another program.")
        elif parent.level == GoalLevel.DISTRIBUTOR:
            errors["parent"] = _("A distributor goal is a leaf of the cascade.")
    elif goal.level != GoalLevel.PROGRAM:
        errors["parent"] = _("Office, department and distributor goals sit under another goal.")
    if goal.starts_on and goal.ends_on:
        if goal.ends_on < goal.starts_on:
            errors["ends_on"] = _("The period cannot end before it starts.")
        elif goal.starts_on < goal.program.starts_on or goal.ends_on > goal.program.ends_on:
            errors["starts_on"] = _("The goal's period must lie within the program's period.")
    if goal.target is not None and goal.target < 0:
        errors["target"] = _("The target cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def goal_create(
    *, principal, program: Program, level: str, name: str, metric: str, target: Decimal, parent: Goal | None = None,
    distributor: Distributor | None = None, starts_on: date | None = None, ends_on: date | None = None,
) -> Goal:
    require(principal, "program.goal.change", program)
    if program.status == ProgramStatus.CLOSED:
        raise ValidationError(_("A closed program's goals no longer change."))
    if level == GoalLevel.DISTRIBUTOR and distributor is not None and not name:
        name = distributor.legal_name
    goal = Goal(
        program=program, parent=parent, level=level, name=(name or "").strip(), distributor=distributor, metric=metric,
        target=target, starts_on=starts_on or program.starts_on, ends_on=ends_on or program.ends_on,
    )
    _check_goal(goal)
    return _save(goal)


@transaction.atomic
def goal_update(*, principal, goal: Goal, **fields) -> Goal:
    require(principal, "program.goal.change", goal)
    goal = Goal.objects.select_related("program", "parent").get(pk=goal.pk)
    if goal.program.status == ProgramStatus.CLOSED:
        raise ValidationError(_("A closed program's goals no longer change."))
    for name in ("name", "target", "starts_on", "ends_on"):
        if name in fields and fields[name] is not None:
            setattr(goal, name, fields[name])
    _check_goal(goal)
    return _save(goal)


@transaction.atomic
def milestone_create(*, principal, goal: Goal, title: str, expected_result: str, due_on: date) -> Milestone:
    require(principal, "program.milestone.change", goal)
    return _save(Milestone(goal=goal, title=title, expected_result=expected_result, due_on=due_on))


@transaction.atomic
def milestone_achieve(*, principal, milestone: Milestone, achieved_on: date | None = None) -> Milestone:
    require(principal, "program.milestone.change", milestone)
    milestone.achieved_on = achieved_on or timezone.localdate()
    return _save(milestone)


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
    # Imported here: rule_conditions raises its entries through this module.
    from .rule_conditions import check_condition

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


def _aware(moment):
    """Times without a zone are read in the installation's zone (forms send them so; the API may too)."""
    return timezone.make_aware(moment) if moment is not None and timezone.is_naive(moment) else moment


# --- events and calendar -------------------------------------------------------------------------------------------


@transaction.atomic
def event_create(*, principal, title: str, kind: str, starts_at, ends_at, program: Program | None = None,
                 description: str = "", location: str = "", open_to_all: bool = False,
                 status: str = EventStatus.DRAFT) -> Event:
    require(principal, "program.event.change")
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    if ends_at < starts_at:
        raise ValidationError({"ends_at": _("The event cannot end before it starts.")})
    return _save(Event(program=program, title=title, kind=kind, starts_at=starts_at, ends_at=ends_at, status=status,
                       description=description, location=location, open_to_all=open_to_all))


@transaction.atomic
def event_update(*, principal, event: Event, **fields) -> Event:
    require(principal, "program.event.change", event)
    for name in ("title", "kind", "description", "location", "starts_at", "ends_at", "status", "open_to_all", "program"):
        if name in fields and fields[name] is not None:
            value = fields[name]
            setattr(event, name, _aware(value) if name in ("starts_at", "ends_at") else value)
    if event.ends_at < event.starts_at:
        raise ValidationError({"ends_at": _("The event cannot end before it starts.")})
    return _save(event)


@transaction.atomic
def event_invite(*, principal, event: Event, distributors=(), users=()) -> list[EventInvitation]:
    """Invite people: a distributor's invitation goes to each of its active users. Idempotent per person."""
    require(principal, "program.event.change", event)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("A cancelled event takes no invitations."))
    User = get_user_model()
    targets: dict[int, tuple] = {}
    distributor_ids = [d.pk for d in distributors]
    for user in User.objects.filter(
        membership__organization__distributor__in=distributor_ids, is_active=True
    ).select_related("membership__organization__distributor"):
        targets[user.pk] = (user, user.membership.organization.distributor)
    for user in users:
        if user.pk not in targets:
            org = getattr(getattr(user, "membership", None), "organization", None)
            targets[user.pk] = (user, getattr(org, "distributor", None) if org is not None else None)
    existing = set(EventInvitation.objects.filter(event=event, user_id__in=list(targets)).values_list("user_id", flat=True))
    created = []
    for user_id, (user, distributor) in targets.items():
        if user_id in existing:
            continue
        created.append(EventInvitation.objects.create(event=event, user=user, distributor=distributor))
        if event.status == EventStatus.PUBLISHED:
            notification_send(
                recipient=user, event="program.event", sender=principal.user,
                title=lambda: _("Invitation: %(title)s") % {"title": event.title},
                body=lambda: _("%(when)s, %(where)s") % {
                    "when": timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"), "where": event.location or "—"},
                url=event.get_absolute_url(),
            )
    return created


@transaction.atomic
def event_rsvp(*, principal, invitation: EventInvitation, rsvp: str) -> EventInvitation:
    require(principal, "program.event.rsvp", invitation)
    if rsvp not in Rsvp.values or rsvp == Rsvp.PENDING:
        raise ValidationError({"rsvp": _("Answer attending, maybe or not attending.")})
    if invitation.event.status != EventStatus.PUBLISHED:
        raise ValidationError(_("This event is not open for answers."))
    invitation.rsvp = rsvp
    invitation.responded_at = timezone.now()
    return _save(invitation)


@transaction.atomic
def event_attendance(*, principal, event: Event, attended_user_ids) -> int:
    """Record who came: invited people in the list attended, the others did not."""
    require(principal, "program.event.attendance", event)
    attended = {int(i) for i in attended_user_ids}
    changed = 0
    for invitation in EventInvitation.objects.filter(event=event):
        value = invitation.user_id in attended
        if invitation.attended != value:
            invitation.attended = value
            invitation.save(update_fields=["attended", "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def event_send_reminders(*, now=None, within=timedelta(hours=24)) -> int:
    """Remind invitees (not declined) of published events starting within ``within``; each person once."""
    now = now or timezone.now()
    due = EventInvitation.objects.select_related("event", "user").filter(
        event__status=EventStatus.PUBLISHED, event__starts_at__gt=now, event__starts_at__lte=now + within,
        reminded_at__isnull=True,
    ).exclude(rsvp=Rsvp.NO)
    count = 0
    for invitation in due:
        notification_send(
            recipient=invitation.user, event="program.event",
            title=lambda invitation=invitation: _("Reminder: %(title)s") % {"title": invitation.event.title},
            body=lambda invitation=invitation: timezone.localtime(invitation.event.starts_at).strftime("%Y-%m-%d %H:%M"),
            url=invitation.event.get_absolute_url(),
        )
        invitation.reminded_at = now
        invitation.save(update_fields=["reminded_at", "updated_at"])
        count += 1
    return count


@transaction.atomic
def calendar_feed_ensure(*, principal) -> CalendarFeed:
    require(principal, "program.calendar.manage")
    feed, _created = CalendarFeed.objects.get_or_create(user=principal.user, defaults={"token": CalendarFeed.new_token()})
    return feed


@transaction.atomic
def calendar_feed_rotate(*, principal) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    feed = calendar_feed_ensure(principal=principal)
    require(principal, "program.calendar.manage", feed)
    feed.token = CalendarFeed.new_token()
    feed.save()
    return feed


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


# Claims live in support_money.py (partial claims within the approved amount); re-exported for callers.
from .support_money import support_claim  # noqa: E402, F401


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


# --- learning, best practices ---------------------------------------------------------------------------------------


@transaction.atomic
def course_enroll(*, principal, course: Course) -> Enrollment:
    """The caller enrols in a course (once)."""
    require(principal, "program.course.enroll", course)
    distributor = Distributor.objects.filter(pk=principal.own_distributor_id).first() if principal.is_distributor_user else None
    enrollment, _created = Enrollment.objects.get_or_create(
        course=course, user=principal.user, defaults={"distributor": distributor}
    )
    return enrollment


@transaction.atomic
def enrollment_complete(*, principal, enrollment: Enrollment, completed_at=None) -> Enrollment:
    """Record completion; a certifying course issues a certificate number."""
    require(principal, "program.enrollment.complete", enrollment)
    enrollment = Enrollment.objects.select_for_update().select_related("course").get(pk=enrollment.pk)
    if enrollment.completed_at is not None:
        raise ConflictError(_("This enrolment is already complete."))
    enrollment.completed_at = completed_at or timezone.now()
    if enrollment.course.certificate_title:
        enrollment.certificate_number = f"KC-{enrollment.course.code.upper()[:12]}-{enrollment.pk:06d}"
    return _save(enrollment)


@transaction.atomic
def best_practice_create(*, principal, distributor: Distributor, title: str, story: str, lessons: str = "",
                         deal_reference: str = "", deal=None) -> BestPractice:
    require(principal, "program.bestpractice.create", distributor)
    if deal is not None and deal.distributor_id != distributor.pk:
        raise ValidationError({"deal": _("The deal belongs to another distributor.")})
    if deal is not None and not type(deal)._base_manager.filter(pk=deal.pk, stage="won").exists():
        raise ValidationError({"deal": _("A success story links a won deal.")})
    return _save(BestPractice(distributor=distributor, title=title, story=story, lessons=lessons, deal=deal,
                              deal_reference=deal_reference, author=principal.user))


@transaction.atomic
def best_practice_share(*, principal, practice: BestPractice) -> BestPractice:
    require(principal, "program.bestpractice.share", practice)
    practice.status = BestPracticeStatus.SHARED
    return _save(practice)

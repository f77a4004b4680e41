"""Writes of the service app: opening cases (staff or the client's public form), the conversation, the status and
its SLA clock, assignment, the manufacturer's take-over, escalations and the satisfaction rating."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.assignment import records_refusals, require_assignable
from keychannel.core.choices import Role
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send
from keychannel.core.uploads import PDF_PNG_JPEG_TEXT, checked_content_type
from keychannel.deals.models import CorporateContract, CorporateTier, Opportunity, ServiceLevel

from . import sla, tokens
from .choices import (
    OPEN_STATUSES,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    CaseType,
    MessageKind,
    ServicePriority,
)
from .models import CaseEvent, CaseMessage, IntakeLink, ServiceCase

logger = logging.getLogger(__name__)

ATTACHMENT_TYPES = PDF_PNG_JPEG_TEXT
CASE_FIELDS = ("title", "description", "case_type", "priority", "product_line", "site", "contact_name", "contact_email")


# ---------------------------------------------------------------------------------------------- helpers


def client_tier(client) -> CorporateTier:
    """The tier of the client's active contract (the highest, when several), else the standard tier."""
    today = timezone.localdate()
    contract = (CorporateContract.objects.filter(client=client, status="active", ends_on__gte=today)
                .select_related("tier").order_by("-tier__min_annual_volume").first())
    if contract is not None:
        return contract.tier
    tier = CorporateTier.objects.filter(code="standard").first() or CorporateTier.objects.order_by("min_annual_volume").first()
    if tier is None:
        raise ValidationError({"client": _("No corporate tier is defined: the program office sets them first.")})
    return tier


def _level(tier: CorporateTier, priority: str) -> ServiceLevel:
    level = ServiceLevel.objects.filter(tier=tier, priority=priority).first()
    if level is None:
        level = ServiceLevel.objects.filter(tier__code="standard", priority=priority).first()
    if level is None:
        raise ValidationError({"priority": _("The %(tier)s tier has no service level for this priority.")
                               % {"tier": tier.name}})
    return level


def check_attachment(upload) -> str:
    """The attachment's content type after checking size (the installation's upload limit), type and first bytes."""
    mb = settings.KEYCHANNEL_MAX_UPLOAD_MB
    return checked_content_type(upload, field="attachment", allowed=ATTACHMENT_TYPES, max_bytes=mb * 1024 * 1024,
                                too_large=_("The file is larger than %(mb)d MB.") % {"mb": mb},
                                wrong_type=_("Attach a PDF, PNG, JPEG or plain-text file."))


def _mail_contact(case: ServiceCase, subject: str, body: str) -> None:
    """E-mail the client's contact after the write commits; a delivery failure never breaks the write. With mail-in
    on, the contact answers the e-mail to reply on the case (Reply-To: the case's signed address)."""
    from keychannel.core.notifications import absolute

    from .mailin import case_address

    url = absolute(tokens.case_public_url(case))
    reply_to = [case_address(case)] if case_address(case) else None

    def _send():
        try:
            EmailMessage(subject, f"{body}\n\n{url}".strip(), None, [case.contact_email], reply_to=reply_to).send(
                fail_silently=False)
        except Exception:  # noqa: BLE001 - logged; the case page still has the reply
            logger.exception("could not e-mail the contact of case %s", case.pk)

    transaction.on_commit(_send)


def _heads(distributor_id):
    return get_user_model().objects.filter(membership__role=Role.DIST_HEAD, is_active=True,
                                           membership__organization__distributor=distributor_id)


def _escalation_recipients(case: ServiceCase) -> list:
    """At breach: the distributor's channel manager and, for a key account with one, the client's KAM."""
    people = []
    if case.distributor_id and case.distributor.channel_manager_id:
        people.append(case.distributor.channel_manager)
    if case.client.is_key_account:
        kam_ids = (Opportunity.objects.filter(client_id=case.client_id, kam__isnull=False)
                   .order_by("-updated_at").values_list("kam_id", flat=True)[:1])
        people += list(get_user_model().objects.filter(pk__in=list(kam_ids), is_active=True))
    seen, out = set(), []
    for person in people:
        if person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def _event(case, kind, detail="", at=None) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, detail=detail[:300], at=at or timezone.now())


def _locked(case: ServiceCase) -> ServiceCase:
    return _for_update().get(pk=case.pk)


def _for_update():
    """Lock the case row only (``of``: PostgreSQL locks no nullable side of the distributor's outer join)."""
    return ServiceCase.objects.select_for_update(of=("self",)).select_related("client", "distributor")


def _clean_fields(data: dict) -> dict:
    fields = {name: data[name] for name in CASE_FIELDS if name in data}
    for name in ("title", "description", "contact_name", "site"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if fields.get("case_type") and fields["case_type"] not in CaseType.values:
        raise ValidationError({"case_type": _("Choose a type from the list.")})
    if fields.get("priority") and fields["priority"] not in ServicePriority.values:
        raise ValidationError({"priority": _("Choose a priority from the list.")})
    return fields


def _new_case(*, client, fields: dict, source: str, opened_by=None, now=None) -> ServiceCase:
    now = now or timezone.now()
    case = ServiceCase(client=client, distributor_id=client.distributor_id, source=source, opened_by=opened_by,
                       opened_at=now, **fields)
    case.priority = case.priority or ServicePriority.NORMAL
    case.tier = client_tier(client)
    level = _level(case.tier, case.priority)
    case.response_hours, case.resolution_hours = level.response_hours, level.resolution_hours
    sla.set_due_times(case)
    case.full_clean()
    case.save()
    return case


def _notify_new(case: ServiceCase) -> None:
    people = list(_heads(case.distributor_id)) if case.distributor_id else []
    for person in people:
        notification_send(recipient=person, event="case.changed",
                          title=lambda: _("New service case %(ref)s: %(title)s") % {"ref": case.reference, "title": case.title},
                          body=lambda: _("%(client)s · priority %(priority)s · response due %(due)s") % {
                              "client": case.client, "priority": case.get_priority_display(),
                              "due": timezone.localtime(case.response_due_at).strftime("%Y-%m-%d %H:%M")},
                          url=case.get_absolute_url(), sender=case.opened_by)


# ---------------------------------------------------------------------------------------------- opening


@records_refusals
@transaction.atomic
def case_open(*, principal, client, assignee=None, now=None, **data) -> ServiceCase:
    """Staff of the serving distributor, the embedded KAM or the manufacturer open a case for a client."""
    require(principal, "service.case.create", client)
    fields = _clean_fields(data)
    case = _new_case(client=client, fields=fields, source=CaseSource.STAFF, opened_by=principal.user, now=now)
    if assignee is not None:
        _assign(principal, case, assignee)
    _notify_new(case)
    _mail_contact(case, _("Service case %(ref)s opened: %(title)s") % {"ref": case.reference, "title": case.title},
                  _("We have opened a service case for you. Follow it and reply on its page:"))
    return case


@transaction.atomic
def case_open_public(*, token: str, now=None, attachment=None, source: str = CaseSource.PUBLIC_FORM, **data) -> ServiceCase:
    """The client's contact opens a case through the client's public form link or its e-mail address (no account)."""
    link = tokens.intake_for_token(token)
    if link is None:
        raise ValidationError({"token": _("This link is not valid.")})
    fields = _clean_fields(data)
    case = _new_case(client=link.client, fields=fields, source=source, now=now)
    if attachment is not None:
        content_type = check_attachment(attachment)
        CaseMessage.objects.create(case=case, kind=MessageKind.PUBLIC, from_client=True, body=case.description,
                                   attachment=attachment, attachment_content_type=content_type)
    _notify_new(case)
    _mail_contact(case, _("Service case %(ref)s opened: %(title)s") % {"ref": case.reference, "title": case.title},
                  _("We received your case. Follow it and reply on its page:"))
    return case


@transaction.atomic
def intake_link_create(*, principal, client) -> tuple[IntakeLink, str]:
    """A new public case-form link for a client (earlier links keep working until revoked)."""
    require(principal, "service.case.create", client)
    link = IntakeLink.objects.create(client=client, created_by=principal.user)
    return link, tokens.intake_public_url(link)


@transaction.atomic
def intake_link_revoke(*, principal, link: IntakeLink) -> IntakeLink:
    require(principal, "service.case.create", link.client)
    link.active = False
    link.save(update_fields=["active", "updated_at"])
    return link


# ---------------------------------------------------------------------------------------------- work


def _assign(principal, case: ServiceCase, assignee) -> None:
    require_assignable(principal, assignee, field="assignee", obj=case)
    if assignee is not None:
        org = getattr(getattr(assignee, "membership", None), "organization", None)
        distributor_id = getattr(getattr(org, "distributor", None), "pk", None) if org else None
        if case.distributor_id is None or distributor_id != case.distributor_id:
            raise ValidationError({"assignee_id": _(
                "A case is assigned to a person of the client's serving distributor; the manufacturer takes a case "
                "over instead.")})
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    if assignee is not None and assignee != principal.user:
        notification_send(recipient=assignee, event="case.changed", sender=principal.user,
                          title=lambda: _("Service case %(ref)s assigned to you") % {"ref": case.reference},
                          body=case.title, url=case.get_absolute_url())


@records_refusals
@transaction.atomic
def case_assign(*, principal, case: ServiceCase, assignee) -> ServiceCase:
    require(principal, "service.case.assign", case)
    case = _locked(case)
    _assign(principal, case, assignee)
    return case


@records_refusals
@transaction.atomic
def case_update(*, principal, case: ServiceCase, **data) -> ServiceCase:
    """Edit a case's details; a new priority recomputes the targets from the same tier."""
    require(principal, "service.case.work", case)
    case = _locked(case)
    fields = _clean_fields(data)
    priority_changed = "priority" in fields and fields["priority"] != case.priority
    for name, value in fields.items():
        setattr(case, name, value)
    if priority_changed and case.is_open:
        level = _level(case.tier, case.priority)
        case.response_hours, case.resolution_hours = level.response_hours, level.resolution_hours
        sla.set_due_times(case)
    case.full_clean()
    case.save()
    return case


@transaction.atomic
def message_add(*, principal, case: ServiceCase, body: str, kind: str = MessageKind.PUBLIC, attachment=None,
                now=None) -> CaseMessage:
    """A public reply (e-mailed to the contact; the first one meets the response target), an internal note or a
    manufacturer-only note."""
    now = now or timezone.now()
    action = "service.case.manufacturer_note" if kind == MessageKind.MANUFACTURER else "service.case.work"
    require(principal, action, case)
    if kind not in MessageKind.values:
        raise ValidationError({"kind": _("Choose a message kind from the list.")})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    case = _locked(case)
    if case.status == CaseStatus.CLOSED:
        raise ConflictError(_("The case is closed."))
    content_type = check_attachment(attachment) if attachment is not None else ""
    message = CaseMessage.objects.create(case=case, kind=kind, author=principal.user, body=body,
                                         attachment=attachment or "", attachment_content_type=content_type)
    if kind == MessageKind.PUBLIC:
        changed = ["updated_at"]
        if case.first_response_at is None:
            case.first_response_at = now
            case.response_breached = case.response_breached or now > case.response_due_at
            changed += ["first_response_at", "response_breached"]
        if case.status == CaseStatus.NEW:
            case.status = CaseStatus.IN_PROGRESS
            changed.append("status")
        case.save(update_fields=changed)
        _mail_contact(case, _("Reply on your service case %(ref)s") % {"ref": case.reference}, body)
    return message


@transaction.atomic
def case_set_status(*, principal, case: ServiceCase, status: str, note: str = "", now=None) -> ServiceCase:
    """Move a case: in progress, waiting on the client (pauses the resolution clock), resolved, closed, reopened."""
    require(principal, "service.case.work", case)
    if status not in CaseStatus.values or status == CaseStatus.NEW:
        raise ValidationError({"status": _("Choose a status from the list.")})
    case = _locked(case)
    return _move(case, status, now=now or timezone.now(), by=principal.user, note=note)


def _move(case: ServiceCase, status: str, *, now, by=None, note="") -> ServiceCase:
    if case.status == CaseStatus.CLOSED:
        raise ConflictError(_("The case is closed."))
    if status == case.status:
        return case
    if status == CaseStatus.WAITING_CLIENT:
        if case.status not in (CaseStatus.NEW, CaseStatus.IN_PROGRESS):
            raise ValidationError({"status": _("Only an open case can wait on the client.")})
        if case.first_response_at is None:
            raise ValidationError({"status": _("Reply to the client first: the case waits on their answer.")})
        sla.pause(case, now)
        _event(case, CaseEventKind.PAUSED, note, at=now)
    elif case.paused_at is not None:
        added = sla.resume(case, now)
        _event(case, CaseEventKind.RESUMED, _("%(hours)s business hours added to the resolution due time")
               % {"hours": f"{added / 3600:.2f}"}, at=now)
    if status == CaseStatus.RESOLVED:
        if case.first_response_at is None:
            raise ValidationError({"status": _("Reply to the client before resolving the case.")})
        case.resolved_at = now
        if now > case.resolution_due_at and not case.resolution_breached:
            case.resolution_breached = True
            _event(case, CaseEventKind.RESOLUTION_BREACH, _("resolved after the due time"), at=now)
    elif status == CaseStatus.CLOSED:
        if case.status != CaseStatus.RESOLVED:
            raise ValidationError({"status": _("Resolve the case before closing it.")})
        case.closed_at = now
    elif case.status == CaseStatus.RESOLVED and status in OPEN_STATUSES:
        case.resolved_at = None  # reopened: the clock runs on from where it was
    case.status = status
    case.full_clean()
    case.save()
    if status == CaseStatus.RESOLVED and note:
        CaseMessage.objects.create(case=case, kind=MessageKind.PUBLIC, author=by, body=note)
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        _mail_contact(case, _("Service case %(ref)s %(status)s: how did we do?")
                      % {"ref": case.reference, "status": case.get_status_display().lower()},
                      (note + "\n\n" if note else "") + _("Rate our service in one click on the case's page:"))
    return case


@transaction.atomic
def case_takeover(*, principal, case: ServiceCase, reason: str = "", now=None) -> ServiceCase:
    """The manufacturer takes a case over: it leads from now on (the distributor still sees the case)."""
    require(principal, "service.case.takeover", case)
    case = _locked(case)
    if case.taken_over_at is not None:
        raise ConflictError(_("The manufacturer has already taken this case over."))
    if not case.is_open:
        raise ConflictError(_("Only an open case can be taken over."))
    now = now or timezone.now()
    case.taken_over_by, case.taken_over_at = principal.user, now
    case.save(update_fields=["taken_over_by", "taken_over_at", "updated_at"])
    _event(case, CaseEventKind.TAKEOVER, (reason or "").strip(), at=now)
    for person in {*_heads(case.distributor_id), *([case.assignee] if case.assignee else [])}:
        notification_send(recipient=person, event="case.changed", sender=principal.user,
                          title=lambda: _("The manufacturer took over service case %(ref)s") % {"ref": case.reference},
                          body=(reason or "").strip(), url=case.get_absolute_url())
    return case


# ---------------------------------------------------------------------------------------------- the client's side


@transaction.atomic
def public_reply(*, token: str, body: str, attachment=None, now=None) -> CaseMessage:
    """The contact answers on the case's page: a case waiting on them resumes its clock."""
    case = tokens.case_for_token(token)
    if case is None:
        raise ValidationError({"token": _("This link is not valid.")})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    case = _locked(case)
    if case.status == CaseStatus.CLOSED:
        raise ConflictError(_("The case is closed."))
    now = now or timezone.now()
    content_type = check_attachment(attachment) if attachment is not None else ""
    message = CaseMessage.objects.create(case=case, kind=MessageKind.PUBLIC, from_client=True, body=body,
                                         attachment=attachment or "", attachment_content_type=content_type)
    if case.status in (CaseStatus.WAITING_CLIENT, CaseStatus.RESOLVED):
        _move(case, CaseStatus.IN_PROGRESS, now=now)
    for person in [case.assignee] if case.assignee else list(_heads(case.distributor_id)):
        notification_send(recipient=person, event="case.changed",
                          title=lambda: _("The client replied on %(ref)s") % {"ref": case.reference},
                          body=body[:500], url=case.get_absolute_url())
    return message


@transaction.atomic
def case_rate(*, token: str, rating: int, comment: str = "", now=None) -> ServiceCase:
    """One rating per case, by the contact, once the case is resolved or closed."""
    case = tokens.case_for_token(token)
    if case is None:
        raise ValidationError({"token": _("This link is not valid.")})
    case = _locked(case)
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise ValidationError({"rating": _("The case can be rated once it is resolved.")})
    if case.rated_at is not None:
        raise ConflictError(_("This case has already been rated."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5.")})
    case.rating, case.rating_comment, case.rated_at = rating, (comment or "").strip()[:2000], now or timezone.now()
    case.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return case


# ---------------------------------------------------------------------------------------------- escalation


def escalate_cases(*, now: datetime.datetime | None = None) -> dict:
    """Near a breach notify the distributor head; at a breach record it and notify the channel manager and the
    client's KAM. Each escalation happens once per case (a unique event row decides under concurrency)."""
    now = now or timezone.now()
    counts = {"near_breach": 0, "breached": 0}
    ids = list(ServiceCase.objects.filter(status__in=[CaseStatus.NEW, CaseStatus.IN_PROGRESS])
               .values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            case = _for_update().get(pk=pk)
            counts_case = _escalate_one(case, now)
        for key, value in counts_case.items():
            counts[key] += value
    return counts


def _escalate_one(case: ServiceCase, now) -> dict:
    out = {"near_breach": 0, "breached": 0}
    if case.paused_at is not None or not case.is_open:
        return out
    response_late = case.first_response_at is None and now > case.response_due_at
    resolution_late = now > case.resolution_due_at
    changed = []
    if response_late and not case.response_breached:
        case.response_breached = True
        changed.append("response_breached")
        _once(case, CaseEventKind.RESPONSE_BREACH, now)
    if resolution_late and not case.resolution_breached:
        case.resolution_breached = True
        changed.append("resolution_breached")
        _once(case, CaseEventKind.RESOLUTION_BREACH, now)
    if (response_late or resolution_late) and case.breach_notified_at is None:
        case.breach_notified_at = now
        changed.append("breach_notified_at")
        for person in _escalation_recipients(case):
            notification_send(recipient=person, event="case.escalated",
                              title=lambda: _("SLA breached on service case %(ref)s") % {"ref": case.reference},
                              body=lambda: _("%(client)s · %(title)s · %(tier)s tier, priority %(priority)s") % {
                                  "client": case.client, "title": case.title, "tier": case.tier.name,
                                  "priority": case.get_priority_display()},
                              url=case.get_absolute_url())
        out["breached"] = 1
    elif case.near_breach_notified_at is None and case.breach_notified_at is None:
        share = sla.used_share(case, now)
        if case.first_response_at is None:
            share = max(share, sla.used_share(case, now, target="response"))
        if share >= sla.NEAR_BREACH_SHARE:
            case.near_breach_notified_at = now
            changed.append("near_breach_notified_at")
            _once(case, CaseEventKind.NEAR_BREACH, now)
            due = case.resolution_due_at if case.first_response_at else min(case.response_due_at, case.resolution_due_at)
            for person in _heads(case.distributor_id) if case.distributor_id else []:
                notification_send(recipient=person, event="case.escalated",
                                  title=lambda: _("Service case %(ref)s is near its SLA breach") % {"ref": case.reference},
                                  body=lambda: _("%(client)s · %(title)s · due %(due)s") % {
                                      "client": case.client, "title": case.title,
                                      "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                                  url=case.get_absolute_url())
            out["near_breach"] = 1
    if changed:
        case.save(update_fields=[*changed, "updated_at"])
    return out


def _once(case, kind, now) -> None:
    try:
        with transaction.atomic():
            _event(case, kind, at=now)
    except IntegrityError:
        pass  # recorded already (a concurrent run)

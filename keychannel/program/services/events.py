"""Events: the calendar, invitations and RSVP, attendance, reminders and the personal calendar feed."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.policies import require
from keychannel.core.services import notification_send

from ..choices import EventStatus, Rsvp
from ..models import CalendarFeed, Event, EventInvitation, Program
from .common import _save


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

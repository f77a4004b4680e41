"""Notifications: the one place that writes to a user in *their* language and time zone, and mails them as they chose.

A caller names the event type (``core.events.NOTIFICATION_TYPES``) and hands over the text *unrendered*: a
callable that builds it (``lambda: _("Award: %(title)s") % {"title": award.title}``) or a lazy translation.
``notification_send`` renders title, body and e-mail inside the recipient's language and time zone, so no call
site wraps itself in ``in_language_of`` and none can forget to (an eager ``str`` title is refused).

Delivery follows the recipient's ``NotificationPreference`` for the event type: at once by e-mail (the default),
in the daily digest (``digests_send``, the ``send_notification_digests`` scheduled job), or in the app only.
E-mails carry absolute links on ``KEYCHANNEL_SITE_URL`` and the sender's name ("Maria Popescu via keychannel").
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from contextlib import contextmanager
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import NotificationDelivery
from .events import NOTIFICATION_TYPES
from .models import Notification, NotificationPreference
from .preferences import language_of, preferences_of

logger = logging.getLogger(__name__)

Text = str | Promise | Callable[[], str]


@contextmanager
def written_for(user):
    """Everything rendered inside reads as ``user`` would: their language and their time zone."""
    zone = preferences_of(user)[1] or settings.TIME_ZONE
    with translation.override(language_of(user)), timezone.override(zoneinfo.ZoneInfo(zone)):
        yield


def render(text: Text) -> str:
    """Render a title or body; call inside ``written_for``."""
    if callable(text):
        text = text()
    return str(text or "")


def delivery_for(user, event_type: str) -> str:
    row = NotificationPreference.objects.filter(user=user, event_type=event_type).values_list("delivery", flat=True)
    return row.first() or NotificationPreference.DEFAULT_DELIVERY


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def absolute(path: str) -> str:
    """A link an e-mail can carry: site-relative paths are put on KEYCHANNEL_SITE_URL."""
    if path.startswith("/") and settings.KEYCHANNEL_SITE_URL:
        return settings.KEYCHANNEL_SITE_URL + path
    return path


def from_address(sender=None) -> str:
    """DEFAULT_FROM_EMAIL's address under the sender's name: "Maria Popescu via keychannel <noreply@…>"."""
    if sender is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((_("%(name)s via keychannel") % {"name": display_name(sender)},
                       parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _footer() -> str:
    return _("You receive this e-mail because of your notification preferences: %(link)s") % {
        "link": absolute(reverse("core:notification_preferences"))}


def _immediate_mail(note: Notification) -> tuple[str, str, str]:
    parts = [note.body]
    if note.url:
        parts.append(_("Open in keychannel: %(link)s") % {"link": absolute(note.url)})
    parts.append("-- \n" + _footer())
    return note.title, "\n\n".join(p for p in parts if p), from_address(note.sender)


def notification_send(*, recipient, event: str, title: Text, body: Text = "", url: str = "", sender=None):
    """Notify ``recipient`` of ``event``: the text is rendered in their language and time zone, here."""
    if event not in NOTIFICATION_TYPES:
        raise ValueError(f"unknown notification type {event!r}: add it to keychannel.core.events.NOTIFICATION_TYPES")
    if isinstance(title, str) and not isinstance(title, Promise):
        raise TypeError("notification_send: pass the title unrendered (a callable or a lazy translation), "
                        "so that it is written in the recipient's language")
    if recipient is None:
        return None
    delivery = delivery_for(recipient, event) if recipient.email else NotificationDelivery.IN_APP
    with written_for(recipient):
        note = Notification.objects.create(
            recipient=recipient, sender=sender, event_type=event, title=render(title)[:200], body=render(body),
            url=url[:300], delivery=delivery)
        mail = _immediate_mail(note) if delivery == NotificationDelivery.IMMEDIATE else None
    if mail is not None:
        from .tasks import mail_send

        subject, text, from_email = mail

        def _queue():
            # A worker sends it (core.tasks.mail_send): a slow mail server never holds the page.
            try:
                mail_send.enqueue(subject, text, [recipient.email], from_email)
            except Exception:  # noqa: BLE001 - the queue being down never breaks the write; the notification stays
                logger.exception("could not queue the e-mail of notification %s", note.pk)

        transaction.on_commit(_queue)
    return note


# --- the daily digest ---------------------------------------------------------------------------------------------


def _digest_mail(user, notes: list[Notification]) -> EmailMessage:
    with written_for(user):
        subject = ngettext("keychannel: %(count)s notification today", "keychannel: %(count)s notifications today",
                           len(notes)) % {"count": len(notes)}
        lines = []
        for note in notes:
            when = timezone.localtime(note.created_at).strftime("%Y-%m-%d %H:%M")
            who = f" ({_('from %(name)s') % {'name': display_name(note.sender)}})" if note.sender_id else ""
            lines.append(f"• {when} {note.title}{who}")
            if note.body:
                lines.append("  " + note.body.replace("\n", "\n  "))
            if note.url:
                lines.append("  " + absolute(note.url))
            lines.append("")
        lines.append("-- \n" + _footer())
        return EmailMessage(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])


def digest_send_one(user_id: int, now=None) -> int:
    """Send one user's pending digest; returns how many notifications it carried.

    The rows are locked, the mail is sent and the rows are marked in one transaction: a worker that dies before the
    commit leaves them pending (they go in the next digest); a second worker skips the locked rows, so no
    notification is mailed twice.
    """
    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    with transaction.atomic():
        pending = Notification.objects.select_for_update(skip_locked=True).filter(
            recipient_id=user_id, delivery=NotificationDelivery.DIGEST, emailed_at__isnull=True, created_at__lte=now)
        ids = list(pending.values_list("pk", flat=True))
        if not ids:
            return 0
        # Claim first: the UPDATE takes the write lock (on SQLite, the database's), so a concurrent run that read
        # the same rows claims none of them and leaves them to this one.
        if Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now) != len(ids):
            transaction.set_rollback(True)
            return 0
        if user is None:
            return 0  # deactivated or without an address since: nothing to mail, nothing left waiting
        notes = list(Notification.objects.filter(pk__in=ids).select_related("sender").order_by("created_at", "id"))
        _digest_mail(user, notes).send(fail_silently=False)  # a failure rolls the claim back: sent by the next run
    return len(notes)


def digests_send(now=None) -> tuple[int, int]:
    """Every user's daily digest; returns (users mailed, notifications carried). One user's failure stops no other."""
    now = now or timezone.now()
    users = (Notification.objects.filter(delivery=NotificationDelivery.DIGEST, emailed_at__isnull=True,
                                         created_at__lte=now)
             .order_by().values_list("recipient_id", flat=True).distinct())
    mailed = carried = 0
    for user_id in sorted(set(users)):
        try:
            count = digest_send_one(user_id, now=now)
        except Exception:  # noqa: BLE001 - the others still get theirs; this one stays pending for the next run
            logger.exception("could not send the notification digest of user %s", user_id)
            continue
        mailed, carried = mailed + bool(count), carried + count
    return mailed, carried


# --- preferences --------------------------------------------------------------------------------------------------


def preferences_for(user) -> list[dict]:
    """Every notification type with its label and the user's delivery for it (the default where none is set)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event_type", "delivery"))
    return [{"event_type": name, "label": str(label),
             "delivery": chosen.get(name, NotificationPreference.DEFAULT_DELIVERY)}
            for name, label in NOTIFICATION_TYPES.items()]

"""Events: the calendar, invitations with RSVP, and the personal calendar feed."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, ScopedQuerySet, in_lookup
from keychannel.network.models import Distributor

from ..choices import EventKind, EventStatus, Rsvp
from .programs import Program


class EventQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Manufacturer roles see every event; distributor users published ones open to all or they are invited to."""
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        invited = EventInvitation.objects.filter(distributor_id__in=in_lookup(principal.distributor_ids or ())).values("event_id")
        return self.filter(status=EventStatus.PUBLISHED).filter(Q(open_to_all=True) | Q(pk__in=invited))


class Event(TimeStampedModel):
    """A workshop, meeting, training or conference of the program's year."""

    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("program")
    )
    title = models.CharField(_("title"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT)
    open_to_all = models.BooleanField(_("open to the whole network"), default=False)
    uid = models.CharField(_("calendar uid"), max_length=80, unique=True, editable=False)

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="%(app_label)s_%(class)s_period_ordered")
        ]

    def save(self, *args, **kwargs):
        if not self.uid:
            self.uid = f"{secrets.token_hex(12)}@keychannel"
        super().save(*args, **kwargs)

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:event_detail", args=[self.pk])


class EventInvitationQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        if principal.is_manufacturer:
            return self.filter(Q(distributor__isnull=True) | Q(distributor_id__in=in_lookup(reach)) | Q(user_id=principal.user_id))
        return self.filter(distributor_id__in=in_lookup(reach))


class EventInvitation(TimeStampedModel):
    """One person invited to an event (inviting a distributor invites its people), with their RSVP and attendance."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("event"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_invitations", verbose_name=_("person")
    )
    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, null=True, blank=True, related_name="event_invitations",
        verbose_name=_("distributor"),
    )
    rsvp = models.CharField(_("RSVP"), max_length=10, choices=Rsvp.choices, default=Rsvp.PENDING)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    objects = EventInvitationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "user__username", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="%(app_label)s_%(class)s_once_per_person")]

    def __str__(self):
        return f"{self.event} · {self.user}"

    def get_absolute_url(self):
        return self.event.get_absolute_url() + f"#invitation-{self.pk}"


class CalendarFeedQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        return self.filter(user_id=principal.user_id) if principal.is_authenticated else self.none()


class CalendarFeed(TimeStampedModel):
    """A user's secret iCalendar subscription URL; rotating the token revokes the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(_("token"), max_length=64, unique=True)

    objects = CalendarFeedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["token"])

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def __str__(self):
        return f"{self.user} · {self.token[:6]}…"

    def get_absolute_url(self):
        return reverse("program:calendar")

"""Organisations, memberships, API tokens, notifications and security events: what every domain app stands on."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    DISTRIBUTOR_ROLES,
    MANUFACTURER_ROLES,
    NotificationDelivery,
    OrganizationKind,
    Role,
    SecurityEventKind,
)
from .scoping import AuditedQuerySet, ScopedQuerySet


class TimeStampedModel(models.Model):
    """Creation and modification timestamps shared by every domain model."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OrganizationQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(pk=principal.organization_id)


class Organization(TimeStampedModel):
    """The manufacturer, or one distributor company. One installation has exactly one manufacturer."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    password_login = models.BooleanField(
        _("local passwords"), default=True,
        help_text=_("Off: this organisation's people sign in with single sign-on only; password logins are refused."),
    )

    objects = OrganizationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind=OrganizationKind.MANUFACTURER),
                name="%(app_label)s_%(class)s_one_manufacturer",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_manufacturer(self) -> bool:
        return self.kind == OrganizationKind.MANUFACTURER


class MembershipQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(organization_id=principal.organization_id)


class Membership(TimeStampedModel):
    """A user's place: which organisation they work for and their one role there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    # The user's own language and time zone (profile page): pages, API messages, e-mails and notifications to
    # them. Blank: the browser's language (Accept-Language or the switcher's cookie) and TIME_ZONE.
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["organization__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organization}"

    def clean(self):
        if self.organization_id is None:
            return
        kind = self.organization.kind
        if kind == OrganizationKind.MANUFACTURER and self.role not in MANUFACTURER_ROLES:
            raise ValidationError({"role": _("This role belongs to a distributor, not to the manufacturer.")})
        if kind == OrganizationKind.DISTRIBUTOR and self.role not in DISTRIBUTOR_ROLES:
            raise ValidationError({"role": _("This role belongs to the manufacturer, not to a distributor.")})

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude=exclude)
        from .preferences import is_time_zone

        if self.time_zone and not is_time_zone(self.time_zone):
            raise ValidationError({"time_zone": _("Choose a time zone from the list.")})


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_days() -> int:
    return int(getattr(settings, "KEYCHANNEL_API_TOKEN_DAYS", 90))


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now=None):
        """Not revoked and not expired. A token without an expiry (made before tokens had one) lives
        KEYCHANNEL_API_TOKEN_DAYS from its creation, like a new one."""
        now = now or timezone.now()
        born_after = now - datetime.timedelta(days=api_token_days())
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__gt=now) | models.Q(expires_at__isnull=True, created_at__gt=born_after)
        )


class ApiToken(TimeStampedModel):
    """A personal bearer token. Only its SHA-256 is stored; the raw value is shown once, at creation."""

    PREFIX = "kc_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def generate_raw(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    def expires_on(self):
        """When it stops working: its expiry, or for a token made before tokens had one, its creation + the lifetime."""
        return self.expires_at or self.created_at + datetime.timedelta(days=api_token_days())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_on() > timezone.now()


class Notification(TimeStampedModel):
    """An in-app message to one user, written in their language; mailed at once, in a daily digest or not at all,
    as their preference for its event type says (core/notifications.py)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("sent by"))
    event_type = models.CharField(_("event type"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    delivery = models.CharField(_("delivery"), max_length=20, choices=NotificationDelivery.choices,
                                default=NotificationDelivery.IN_APP)
    # A digest notification is marked here in the transaction that sends its digest: never lost, never sent twice.
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="core_notification_unread"),
            models.Index(fields=["delivery", "emailed_at"], name="core_notification_digest"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("core:notification_list")


class NotificationPreferenceQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        return self.filter(user_id=principal.user_id)  # one's own choices only, whatever the role


class NotificationPreference(TimeStampedModel):
    """How one user receives one event type; a type without a row is mailed at once (``DEFAULT_DELIVERY``)."""

    DEFAULT_DELIVERY = NotificationDelivery.IMMEDIATE

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    event_type = models.CharField(_("event type"), max_length=50)
    delivery = models.CharField(_("delivery"), max_length=20, choices=NotificationDelivery.choices)

    objects = NotificationPreferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["user_id", "event_type"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event_type"], name="core_notificationpref_unique")]

    def __str__(self):
        return f"{self.user} · {self.event_type}: {self.delivery}"

    def get_absolute_url(self):
        return reverse("core:notification_preferences")


class SecurityEvent(TimeStampedModel):
    """Something manufacturer admins must be able to review: a forbidden write attempt, a lockout, token use."""

    kind = models.CharField(_("kind"), max_length=30, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=120, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.username} · {self.created_at:%Y-%m-%d %H:%M}"


class RateCounter(models.Model):
    """One rate-limit window's request count for one caller (core/ratelimit.py), shared by every worker.

    Counted by one atomic upsert per request (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) on SQLite and
    PostgreSQL alike; windows past their expiry are deleted when their caller opens a new window.
    """

    key = models.CharField(max_length=200, primary_key=True)
    hits = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self):
        return f"{self.key}: {self.hits}"


class InvitationQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """The administrators see every invitation; a distributor's head those of its own company."""
        if not principal.is_authenticated:
            return self.none()
        if principal.has_role(Role.ADMIN):
            return self.all()
        if principal.has_role(Role.DIST_HEAD):
            return self.filter(organization_id=principal.organization_id)
        return self.none()


class Invitation(TimeStampedModel):
    """How a user joined: who invited them, into which organisation and role, and when they set their password.

    The link in the e-mail carries a token (core/onboarding.py) and no state of its own: it stops working once
    the password is set, when the invitation is sent again, when the user is deactivated, and after
    KEYCHANNEL_INVITATION_DAYS.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation",
                                verbose_name=_("user"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invitations",
                                     verbose_name=_("organisation"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("invited by"))
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("link expires"))
    times_sent = models.PositiveSmallIntegerField(_("times sent"), default=1)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.user} · {self.organization}"

    def get_absolute_url(self):
        return reverse("core:user_list")

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None


class IdempotencyRecord(models.Model):
    """The answer to a POST sent with an ``Idempotency-Key`` header, kept per caller and key (core/idempotency.py).

    ``status_code`` stays empty while the first request runs; a replay of the same key and body answers the kept
    status and body without running again. Rows past ``expires_at`` are deleted by the ``prune_idempotency_keys``
    job (KEYCHANNEL_IDEMPOTENCY_KEY_HOURS).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    path = models.CharField(_("path"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key")]

    def __str__(self):
        return f"{self.user_id}: {self.key}"

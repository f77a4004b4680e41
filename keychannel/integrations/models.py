"""Webhook subscriptions and their deliveries (docs/webhooks.md)."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.choices import Role
from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, ParentScopedQuerySet, ScopedQuerySet

from .choices import DeliveryStatus

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class SubscriptionQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Administrators and program managers: every subscription; a distributor head: its distributor's."""
        if not principal.is_authenticated:
            return self.none()
        if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
            return self.all()
        if principal.has_role(Role.DIST_HEAD) and principal.own_distributor_id is not None:
            return self.filter(distributor_id=principal.own_distributor_id)
        return self.none()

    def active(self):
        return self.filter(is_active=True)


class WebhookSubscription(TimeStampedModel):
    """An endpoint that receives the events it subscribed to, signed with its secret.

    ``distributor`` empty: a network subscription (the manufacturer's); set: a distributor's own, which only ever
    receives events about that distributor's data. Either way a payload holds what ``owner`` may read.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("endpoint URL"), max_length=500)
    event_types = models.JSONField(_("events"), default=list)
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, null=True, blank=True, related_name="webhook_subscriptions",
        verbose_name=_("distributor"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )
    # Kept to sign each payload (HMAC needs the key itself); shown once at creation, never in the history.
    secret = models.CharField(max_length=100, editable=False, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)

    objects = SubscriptionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        indexes = [models.Index(fields=["is_active"], name="integrations_sub_active")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("integrations:webhook_detail", args=[self.pk])

    @property
    def secret_hint(self) -> str:
        return self.secret[:10]


class WebhookDelivery(TimeStampedModel):
    """One event for one subscription: the signed message (same ``message_id`` on every attempt) and its fate.

    A log, like the attempts below it: no audit history of its own (the subscription has one).
    """

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(_("message id"), max_length=40)
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.TextField(_("payload"))
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The automatic retries stop here; a redelivery allows a new series of attempts.
    attempts_allowed = models.PositiveIntegerField(_("attempts allowed"), default=1)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "subscription"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "message_id"], name="integrations_delivery_once"),
        ]
        indexes = [models.Index(fields=["subscription", "-created_at"], name="integrations_delivery_log")]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: when, what the endpoint answered (or why it could not be reached)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("when"))
    status_code = models.PositiveIntegerField(_("answer"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    redelivery = models.BooleanField(_("redelivery"), default=False)

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "delivery"

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="integrations_attempt_once")]

    def __str__(self):
        return f"{self.delivery} #{self.number}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

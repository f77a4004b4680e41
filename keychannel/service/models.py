"""Service cases of corporate clients (issue 20): handled at the serving distributor, measured against the SLA of the
client's corporate tier, with the manufacturer's eye on them.

Visibility (DESIGN.md §2): a case belongs to the client's serving distributor (``distributor``; empty = a direct
client, manufacturer-only); messages follow their case, and a manufacturer-only note is never shown to a distributor
user (``CaseMessageQuerySet.visible_to``). The client's contact reads only the public replies, through the case's
signed link (``tokens.py``).
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import (
    DistributorScopedQuerySet,
    ParentScopedQuerySet,
)

from .choices import CaseEventKind, CaseSource, CaseStatus, CaseType, MessageKind, ServicePriority


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class ServiceCaseQuerySet(DistributorScopedQuerySet):
    def open(self):
        return self.exclude(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])


class ServiceCase(TimeStampedModel):
    """A corporate client's service case with its service-level clock."""

    client = models.ForeignKey("clients.CorporateClient", on_delete=models.PROTECT, related_name="service_cases",
                               verbose_name=_("client"))
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, null=True, blank=True, related_name="service_cases",
        verbose_name=_("distributor"), help_text=_("The client's serving distributor when the case was opened; empty "
                                                   "means direct."),
    )
    title = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    case_type = models.CharField(_("type"), max_length=12, choices=CaseType.choices, default=CaseType.INCIDENT)
    priority = models.CharField(_("priority"), max_length=10, choices=ServicePriority.choices,
                                default=ServicePriority.NORMAL, db_index=True)
    product_line = models.ForeignKey("network.ProductLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="service_cases", verbose_name=_("product line"))
    site = models.CharField(_("affected site"), max_length=200, blank=True)
    contact_name = models.CharField(_("client contact"), max_length=120)
    contact_email = models.EmailField(_("contact e-mail"))
    source = models.CharField(_("opened through"), max_length=12, choices=CaseSource.choices, default=CaseSource.STAFF)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"), editable=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="service_cases", verbose_name=_("assignee"))
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW,
                              db_index=True)
    taken_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("taken over by"), editable=False)
    taken_over_at = models.DateTimeField(_("taken over at"), null=True, blank=True, editable=False)
    # The service level, copied from the client's tier when the case opens (a later tier change keeps the promise).
    tier = models.ForeignKey("deals.CorporateTier", on_delete=models.PROTECT, related_name="service_cases",
                             verbose_name=_("tier"), editable=False)
    response_hours = models.DecimalField(_("response target (business hours)"), max_digits=6, decimal_places=2,
                                         editable=False)
    resolution_hours = models.DecimalField(_("resolution target (business hours)"), max_digits=6, decimal_places=2,
                                           editable=False)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now, db_index=True, editable=False)
    response_due_at = models.DateTimeField(_("response due"), editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due"), editable=False, db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(_("waiting on the client since"), null=True, blank=True, editable=False)
    paused_seconds = models.PositiveIntegerField(_("business seconds paused"), default=0, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    response_breached = models.BooleanField(_("response target breached"), default=False, editable=False)
    resolution_breached = models.BooleanField(_("resolution target breached"), default=False, editable=False)
    near_breach_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    breach_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_nonce = models.CharField(max_length=40, default=new_nonce, editable=False)
    rating = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True, editable=False,
                                              validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.TextField(_("satisfaction comment"), blank=True, editable=False)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True, editable=False)

    objects = ServiceCaseQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["public_nonce"])

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("service case")
        verbose_name_plural = _("service cases")
        indexes = [models.Index(fields=["distributor", "status"]), models.Index(fields=["client", "opened_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="%(app_label)s_%(class)s_rating_1_5"),
        ]

    def __str__(self):
        return f"{self.reference} · {self.title}"

    @property
    def reference(self) -> str:
        return f"SC-{self.pk:05d}" if self.pk else "SC-new"

    def get_absolute_url(self):
        return reverse("service:case_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class CaseMessageQuerySet(ParentScopedQuerySet):
    def visible_to(self, principal):
        qs = super().visible_to(principal)
        if not principal.is_manufacturer:
            qs = qs.exclude(kind=MessageKind.MANUFACTURER)
        return qs


class CaseMessage(TimeStampedModel):
    """One entry of a case's conversation: a public reply (e-mailed to the client's contact, or written by them), an
    internal note (never shown to the client) or a manufacturer-only note (never shown to the distributor)."""

    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=12, choices=MessageKind.choices, default=MessageKind.PUBLIC)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    from_client = models.BooleanField(_("written by the client's contact"), default=False)
    body = models.TextField(_("message"))
    attachment = models.FileField(_("attachment"), upload_to="service-cases/%Y/", blank=True)
    attachment_content_type = models.CharField(max_length=100, blank=True)

    objects = CaseMessageQuerySet.as_manager()
    parent_path = "case"
    history = HistoricalRecords()
    part_of = ("case",)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")

    def __str__(self):
        return f"{self.case.reference} · {self.get_kind_display()}"

    def author_label(self) -> str:
        if self.from_client:
            return self.case.contact_name
        return self.author.get_full_name() or self.author.username if self.author else "—"


class CaseEvent(models.Model):
    """Breaches, escalations, pauses and take-overs of a case (one of each escalation kind per case)."""

    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    kind = models.CharField(_("event"), max_length=20, choices=CaseEventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "case"
    history = HistoricalRecords()
    part_of = ("case",)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], name="%(app_label)s_%(class)s_one_escalation_of_a_kind",
                condition=Q(kind__in=["near_breach", "response_breach", "resolution_breach", "takeover"])),
        ]

    def __str__(self):
        return f"{self.case.reference} · {self.get_kind_display()}"


class IntakeLinkQuerySet(DistributorScopedQuerySet):
    pass


class IntakeLink(TimeStampedModel):
    """A client's public case form: whoever holds the link opens cases for that client, without an account."""

    client = models.ForeignKey("clients.CorporateClient", on_delete=models.PROTECT, related_name="service_links",
                               verbose_name=_("client"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"), editable=False)
    nonce = models.CharField(max_length=40, default=new_nonce, editable=False)
    active = models.BooleanField(_("active"), default=True)

    objects = IntakeLinkQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["nonce"])
    distributor_path = "client__distributor"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("public case form link")
        verbose_name_plural = _("public case form links")

    def __str__(self):
        return f"{self.client} · {self.created_at:%Y-%m-%d}" if self.created_at else str(self.client)

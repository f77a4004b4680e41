"""Support: the yearly budget per distributor, support requests and claims, and awards."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, DecimalField, F, Q, Sum, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet
from keychannel.network.models import Distributor

from ..choices import SupportKind, SupportStatus
from .base import MONEY, HeadScopedQuerySet
from .programs import Program


class SupportBudget(TimeStampedModel):
    """The financial support a distributor may draw on in one year."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="support_budgets", verbose_name=_("distributor")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    amount = models.DecimalField(_("budget (RON)"), validators=[MinValueValidator(Decimal("0"))], **MONEY)
    # Set from a pool: the level whose share made the amount, the share then and the pool (empty: set by hand).
    level = models.ForeignKey("program.ProgramLevel", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("level"))
    level_share = models.DecimalField(_("level share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    pool = models.DecimalField(_("support pool (RON)"), null=True, blank=True, **MONEY)

    objects = HeadScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "distributor__code", "id"]
        verbose_name = _("support budget")
        verbose_name_plural = _("support budgets")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "year"], name="%(app_label)s_%(class)s_one_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="%(app_label)s_%(class)s_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.year}"

    def get_absolute_url(self):
        return reverse("program:support_list") + f"?distributor={self.distributor_id}"

    def committed(self) -> Decimal:
        """Approved amounts not yet claimed, plus claimed and paid amounts: what is no longer available."""
        value = self.requests.aggregate(
            total=Sum(
                Case(
                    When(status=SupportStatus.APPROVED, then=F("amount_approved")),
                    When(status__in=[SupportStatus.CLAIMED, SupportStatus.PAID], then=F("amount_claimed")),
                    default=0,
                    output_field=DecimalField(**MONEY),
                )
            )
        )["total"]
        return value or Decimal("0")

    def remaining(self) -> Decimal:
        return self.amount - self.committed()


class SupportRequest(TimeStampedModel):
    """Financial (request → approve → claim with proof → paid), methodological or co-selling support for a distributor."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="support_requests", verbose_name=_("distributor")
    )
    budget = models.ForeignKey(
        SupportBudget, on_delete=models.PROTECT, null=True, blank=True, related_name="requests", verbose_name=_("budget")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SupportKind.choices)
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("what for"))
    status = models.CharField(_("status"), max_length=20, choices=SupportStatus.choices, default=SupportStatus.REQUESTED)
    amount_requested = models.DecimalField(_("amount requested (RON)"), default=0, **MONEY)
    amount_approved = models.DecimalField(_("amount approved (RON)"), default=0, **MONEY)
    amount_claimed = models.DecimalField(_("amount claimed (RON)"), default=0, **MONEY)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    proof = models.FileField(_("proof"), upload_to="support-proofs/%Y/", blank=True)
    proof_content_type = models.CharField(_("proof type"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Return on support (docs/program.md, "Return on support"): business of this client only when named, and
    # the months after the approval that count towards this activity.
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("client"), help_text=_("Leave empty when the support is not for one client."),
    )
    return_months = models.PositiveSmallIntegerField(
        _("return window (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Business from the approval to this many months later is attributed to this support."),
    )

    objects = HeadScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__gte=0) & Q(amount_approved__gte=0) & Q(amount_claimed__gte=0),
                name="%(app_label)s_%(class)s_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind=SupportKind.FINANCIAL) | Q(budget__isnull=False),
                name="%(app_label)s_%(class)s_financial_has_budget",
            ),
            # The last line of defence for every path (admin, shell, commands): never more claimed than approved.
            models.CheckConstraint(
                condition=Q(amount_claimed__lte=models.F("amount_approved")),
                name="%(app_label)s_%(class)s_claimed_within_approved",
                violation_error_message=_("The amount claimed cannot be above the amount approved."),
            ),
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.title}"

    def get_absolute_url(self):
        return reverse("program:support_detail", args=[self.pk])

    def clean(self):
        # Also here (not only in the constraint) because the admin form leaves amount_claimed out, and a
        # constraint on a field outside the form is not checked by the form: the admin would get a 500.
        if self.amount_claimed > self.amount_approved:
            raise ValidationError({"amount_approved": _(
                "%(claimed)s RON is already claimed: the amount approved cannot be lower."
            ) % {"claimed": self.amount_claimed}})


class Award(TimeStampedModel):
    """Recognition of a distributor's first results, shown on its program page."""

    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="awards", verbose_name=_("distributor"))
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="awards", verbose_name=_("program")
    )
    title = models.CharField(_("title"), max_length=160)
    reason = models.TextField(_("reason"))
    awarded_on = models.DateField(_("awarded on"))
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("awarded by")
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-awarded_on", "id"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self):
        return f"{self.distributor.code} · {self.title}"

    def get_absolute_url(self):
        return reverse("program:distributor_overview", args=[self.distributor_id]) + f"#award-{self.pk}"

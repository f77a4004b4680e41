"""The corporate program's tiers and their structured service levels (issue 15 part 4).

One list of tiers: a corporate contract points at a tier row by its code (``CorporateContract.tier``), the program
shows and edits the same rows (``keychannel.program.models.CorporateTier`` re-exports this model), and the service
app reads a tier's response and resolution targets per priority from ``ServiceLevel``.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, ParentScopedQuerySet, ScopedQuerySet

from .choices import ServicePriority

MONEY = {"max_digits": 16, "decimal_places": 2}


class TierQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Manufacturer roles read every tier; distributor users the tiers on offer."""

    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(active=True)


class CorporateTier(TimeStampedModel):
    """A tier of the corporate program offered to key accounts: volume threshold, discount and service level."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    code = models.SlugField(
        _("code"), max_length=30, unique=True,
        help_text=_("The tier code a corporate contract carries (e.g. 'gold'): links the offer to the contracts."),
    )
    min_annual_volume = models.DecimalField(_("minimum annual volume (RON)"), validators=[MinValueValidator(Decimal("0"))], **MONEY)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    service_level = models.TextField(_("service level"), blank=True)
    active = models.BooleanField(_("offered"), default=True)

    objects = TierQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["min_annual_volume", "id"]
        verbose_name = _("corporate program tier")
        verbose_name_plural = _("corporate program tiers")
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="%(app_label)s_%(class)s_discount_range",
            ),
            models.CheckConstraint(condition=Q(min_annual_volume__gte=0), name="%(app_label)s_%(class)s_volume_not_negative"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("program:tier_list") + f"#tier-{self.pk}"

    def target_for(self, priority: str):
        """This tier's service level for one priority, or None."""
        return next((s for s in self.service_levels.all() if s.priority == priority), None)


class ServiceLevel(TimeStampedModel):
    """A tier's service targets for one case priority, in business hours (Mon–Fri 9–18, Romanian holidays off)."""

    tier = models.ForeignKey(CorporateTier, on_delete=models.CASCADE, related_name="service_levels",
                             verbose_name=_("tier"))
    priority = models.CharField(_("priority"), max_length=10, choices=ServicePriority.choices)
    response_hours = models.DecimalField(
        _("first response within (business hours)"), max_digits=6, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    resolution_hours = models.DecimalField(
        _("resolution within (business hours)"), max_digits=6, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "tier"
    history = HistoricalRecords()
    part_of = ("tier",)  # core.deletion: a tier's targets go with it

    class Meta:
        ordering = ["tier", "response_hours", "id"]
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(fields=["tier", "priority"], name="%(app_label)s_%(class)s_one_per_priority"),
            models.CheckConstraint(condition=Q(resolution_hours__gte=models.F("response_hours")),
                                   name="%(app_label)s_%(class)s_resolution_after_response"),
        ]

    def __str__(self):
        return f"{self.tier} · {self.get_priority_display()}"

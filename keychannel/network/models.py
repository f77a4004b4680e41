"""The distributor network: territories, product lines and the distributors themselves."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import Organization, TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, ScopedQuerySet

from .choices import AlignmentQuadrant, ContractStrength, Sharing, SizeTier, Stance, TerritoryLevel


class ReferenceQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Reference data every signed-in user may read (territories, product lines)."""

    def visible_to(self, principal):
        return self.all() if principal.is_authenticated else self.none()


class Territory(TimeStampedModel):
    """A node of the territory tree: country › region › county › city."""

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=TerritoryLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("network:territory_list") + f"#territory-{self.pk}"


class ProductLine(TimeStampedModel):
    """A product range the manufacturer sells (and a distributor's agreement may cover)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("network:productline_list") + f"#productline-{self.pk}"


class DistributorQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Every manufacturer role sees every distributor's profile; a distributor user only their own."""
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(organization_id=principal.organization_id)


code_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Use lowercase letters, digits and dashes."))


class Distributor(TimeStampedModel):
    """A distributor company in the network, with how it stands towards the key-account strategy."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="distributor")
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=20, unique=True)
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="headquartered_distributors", verbose_name=_("home territory")
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    size_tier = models.CharField(_("size tier"), max_length=10, choices=SizeTier.choices, default=SizeTier.MEDIUM)
    annual_revenue = models.DecimalField(_("annual revenue (RON)"), max_digits=16, decimal_places=2, default=0)
    employees = models.PositiveIntegerField(_("employees"), default=0)
    contract_strength = models.CharField(
        _("contract strength"), max_length=10, choices=ContractStrength.choices, default=ContractStrength.WEAK
    )
    stance = models.CharField(_("stance"), max_length=10, choices=Stance.choices, default=Stance.CAUTIOUS)
    shares_goals = models.CharField(_("shares our goals"), max_length=10, choices=Sharing.choices, default=Sharing.PARTLY)
    shares_methods = models.CharField(
        _("shares our methods"), max_length=10, choices=Sharing.choices, default=Sharing.PARTLY
    )
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_distributors",
        verbose_name=_("channel manager"),
    )
    product_lines = models.ManyToManyField(
        ProductLine, blank=True, related_name="distributors", verbose_name=_("product lines in the agreement")
    )
    contract_start = models.DateField(_("contract since"), null=True, blank=True)
    active = models.BooleanField(_("active in the network"), default=True)

    objects = DistributorQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[product_lines])

    class Meta:
        ordering = ["code"]
        verbose_name = _("distributor")
        verbose_name_plural = _("distributors")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annual_revenue__gte=0), name="%(app_label)s_%(class)s_revenue_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.legal_name} ({self.code})"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.pk])

    @property
    def alignment_quadrant(self) -> str:
        """Partly counts as sharing: the quadrant says where to push, not a verdict."""
        goals = self.shares_goals != Sharing.NO
        methods = self.shares_methods != Sharing.NO
        if goals and methods:
            return AlignmentQuadrant.PARTNER
        if goals:
            return AlignmentQuadrant.GOALS_NOT_METHODS
        if methods:
            return AlignmentQuadrant.METHODS_NOT_GOALS
        return AlignmentQuadrant.NEITHER

    def get_alignment_quadrant_display(self) -> str:
        return str(AlignmentQuadrant(self.alignment_quadrant).label)

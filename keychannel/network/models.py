"""The distributor network: territories, product lines and the distributors themselves."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import Organization, TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, ScopedQuerySet

from .choices import (
    AlignmentQuadrant,
    ChannelType,
    ContractStrength,
    Sharing,
    SizeTier,
    Stance,
    TerritoryLevel,
)


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


class ManufacturerOnlyQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Network knowledge for manufacturer roles only (channel presence, playbooks)."""

    def visible_to(self, principal):
        return self.all() if principal.is_authenticated and principal.is_manufacturer else self.none()


class CoverageQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Like the distributor profile: every manufacturer role sees all coverage, a distributor user its own."""
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(distributor__organization_id=principal.organization_id)

    def active_on(self, on_date):
        return self.filter(valid_from__lte=on_date).filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on_date))


class Coverage(TimeStampedModel):
    """A distributor may sell one product line in one territory (and every territory below it) for a period."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="coverages", verbose_name=_("distributor")
    )
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="coverages", verbose_name=_("territory"))
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.PROTECT, related_name="coverages", verbose_name=_("product line")
    )
    exclusive = models.BooleanField(
        _("exclusive"), default=False, help_text=_("Exclusive rights: no other distributor may sell here meanwhile.")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Empty: open-ended."))
    note = models.CharField(_("note"), max_length=250, blank=True)

    objects = CoverageQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor__code", "territory__name", "product_line__name", "valid_from", "id"]
        verbose_name = _("coverage")
        verbose_name_plural = _("coverage")
        indexes = [models.Index(fields=["territory", "product_line"], name="network_cov_cell_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_period_ordered",
            ),
            models.UniqueConstraint(
                fields=["distributor", "territory", "product_line", "valid_from"],
                name="%(app_label)s_%(class)s_unique_start",
            ),
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.territory} · {self.product_line}"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.distributor_id]) + "#tab-agreement"

    def is_active_on(self, on_date) -> bool:
        return self.valid_from <= on_date and (self.valid_to is None or self.valid_to >= on_date)


class ChannelPresence(TimeStampedModel):
    """How the manufacturer reaches a territory besides distributors: direct offices, franchises, direct sellers."""

    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="channel_presences", verbose_name=_("territory")
    )
    channel_type = models.CharField(_("channel type"), max_length=20, choices=ChannelType.choices)
    count = models.PositiveIntegerField(_("count"), default=1)
    note = models.CharField(_("note"), max_length=250, blank=True)

    objects = ManufacturerOnlyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["territory__name", "channel_type", "id"]
        verbose_name = _("channel presence")
        verbose_name_plural = _("channel presence")
        constraints = [
            models.UniqueConstraint(fields=["territory", "channel_type"], name="%(app_label)s_%(class)s_one_per_type")
        ]

    def __str__(self):
        return f"{self.territory} · {self.get_channel_type_display()} × {self.count}"

    def get_absolute_url(self):
        return reverse("network:coverage_matrix") + f"#presence-{self.territory_id}"


class Playbook(TimeStampedModel):
    """The recommended approach to distributors of one alignment quadrant (optionally: when they are a sole channel)."""

    quadrant = models.CharField(_("alignment quadrant"), max_length=20, choices=AlignmentQuadrant.choices)
    sole_channel = models.BooleanField(
        _("sole-channel variant"), default=False, help_text=_("Applies when the distributor is the only channel somewhere.")
    )
    title = models.CharField(_("title"), max_length=160)
    approach = models.TextField(_("recommended approach"))
    actions = models.TextField(_("first actions"), blank=True, help_text=_("One action per line."))

    objects = ManufacturerOnlyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["quadrant", "sole_channel", "id"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        constraints = [
            models.UniqueConstraint(fields=["quadrant", "sole_channel"], name="%(app_label)s_%(class)s_one_per_quadrant")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("network:playbook_list") + f"#playbook-{self.pk}"

    @property
    def action_list(self) -> list[str]:
        return [line.strip() for line in self.actions.splitlines() if line.strip()]

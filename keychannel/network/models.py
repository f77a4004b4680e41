"""The distributor network: territories, product lines and the distributors themselves."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.choices import Role
from keychannel.core.models import Organization, TimeStampedModel
from keychannel.core.scoping import (
    AuditedQuerySet,
    DistributorScopedQuerySet,
    ManufacturerOnlyQuerySet,
    ReferenceQuerySet,
    ScopedQuerySet,
)

from .choices import (
    PERSON_TIER,
    AlignmentQuadrant,
    ChannelType,
    ContractStrength,
    DistributorKind,
    InteractionKind,
    PersonLevel,
    RelationshipLevel,
    Sharing,
    SizeTier,
    Stance,
    TerritoryLevel,
)


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


def alignment_quadrant(shares_goals, shares_methods) -> str | None:
    """A distributor's quadrant from its two answers (the model's property and the API list's value rows).

    Partly counts as sharing: the quadrant says where to push, not a verdict. None when the answers were redacted
    for the reader (network/redaction.py): no quadrant is guessed."""
    if shares_goals is None or shares_methods is None:
        return None
    goals = shares_goals != Sharing.NO
    methods = shares_methods != Sharing.NO
    if goals and methods:
        return AlignmentQuadrant.PARTNER
    if goals:
        return AlignmentQuadrant.GOALS_NOT_METHODS
    if methods:
        return AlignmentQuadrant.METHODS_NOT_GOALS
    return AlignmentQuadrant.NEITHER


class Distributor(TimeStampedModel):
    """A distributor company in the network, with how it stands towards the key-account strategy."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="distributor")
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=20, unique=True)
    # The manufacturer's key for this distributor in its ERP: unique in the network (core/external_ids.py).
    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True,
        help_text=_("This distributor's key in the manufacturer's own system (ERP, CRM)."),
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="headquartered_distributors", verbose_name=_("home territory")
    )
    kind = models.CharField(_("kind of company"), max_length=20, choices=DistributorKind.choices,
                            default=DistributorKind.WHOLESALER)
    city = models.CharField(_("city"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Kept by the distributor's head on its profile page (issue 16, partner self-service).
    website = models.URLField(_("website"), blank=True)
    about = models.TextField(_("about the company"), blank=True, max_length=4000)
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
        # A channel manager's reach (network/selectors.distributors_managed_by, read on every request of theirs) and
        # their ranking's rows, in code order from the index alone: the table scan and sort of the 2,000
        # distributors grew every part of their home with the network (issue 22). INCLUDE is PostgreSQL's; SQLite
        # keeps the index on the two columns.
        indexes = [models.Index(fields=["channel_manager", "code"], include=["id", "legal_name", "active"],
                                name="network_dist_manager_code")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annual_revenue__gte=0), name="%(app_label)s_%(class)s_revenue_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.legal_name} ({self.code})"

    # list pages build the URL of many rows from this name, reversed once (core.tables)
    detail_url_name = "network:distributor_detail"

    def get_absolute_url(self):
        return reverse(self.detail_url_name, args=[self.pk])

    def clean(self):
        super().clean()
        from keychannel.core.external_ids import check_free

        check_free(self, scope=None)

    @property
    def alignment_quadrant(self) -> str | None:
        return alignment_quadrant(self.shares_goals, self.shares_methods)

    def get_alignment_quadrant_display(self) -> str:
        quadrant = self.alignment_quadrant
        return str(AlignmentQuadrant(quadrant).label) if quadrant else ""


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


# --- people and relationships -------------------------------------------------------------------------------------


class DistributorPerson(TimeStampedModel):
    """Someone who works at a distributor, with the level they sit at (for pairing with our people)."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="people", verbose_name=_("distributor")
    )
    full_name = models.CharField(_("full name"), max_length=160)
    level = models.CharField(_("level"), max_length=20, choices=PersonLevel.choices)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("still there"), default=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor__code", "full_name", "id"]
        verbose_name = _("distributor person")
        verbose_name_plural = _("distributor people")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "full_name"], name="%(app_label)s_%(class)s_unique_name")
        ]

    def __str__(self):
        return f"{self.full_name} ({self.get_level_display()})"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.distributor_id]) + "#tab-people"

    @property
    def tier(self) -> str:
        return PERSON_TIER[self.level]


class DistributorDataQuerySet(DistributorScopedQuerySet):
    """Readiness, relationships and reviews of a distributor: reach as usual, but never for salespeople.

    DESIGN.md §2 gives a distributor salesperson "read own goals" only in this row of the table.
    """

    def visible_to(self, principal):
        if principal.has_role(Role.DIST_SALES):
            return self.none()
        return super().visible_to(principal)


class Relationship(TimeStampedModel):
    """A personal relationship between one of our people and one of a distributor's, at a level pairing."""

    person = models.ForeignKey(
        DistributorPerson, on_delete=models.CASCADE, related_name="relationships", verbose_name=_("distributor person")
    )
    manufacturer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="distributor_relationships",
        verbose_name=_("our person"),
    )
    manufacturer_level = models.CharField(
        _("our level"), max_length=20, choices=RelationshipLevel.choices, default=RelationshipLevel.MIDDLE
    )
    strength = models.PositiveSmallIntegerField(
        _("strength (1–5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    last_interaction = models.DateField(_("last interaction"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    distributor_path = "person__distributor"
    objects = DistributorDataQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["person__distributor__code", "person__full_name", "id"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(fields=["person", "manufacturer_user"], name="%(app_label)s_%(class)s_one_per_pair"),
            models.CheckConstraint(
                condition=models.Q(strength__gte=1, strength__lte=5), name="%(app_label)s_%(class)s_strength_range"
            ),
        ]

    def __str__(self):
        return f"{self.manufacturer_user.get_full_name() or self.manufacturer_user} ↔ {self.person.full_name}"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.person.distributor_id]) + "#tab-people"

    @property
    def pairing(self) -> tuple[str, str]:
        """(our tier, their tier), e.g. ("top", "top")."""
        return (self.manufacturer_level, self.person.tier)

    def get_pairing_display(self) -> str:
        ours, theirs = self.pairing
        return f"{RelationshipLevel(ours).label} ↔ {RelationshipLevel(theirs).label}"


class Interaction(TimeStampedModel):
    """One contact within a relationship (meeting, call, visit…): the log that keeps it alive."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("relationship")
    )
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices, default=InteractionKind.MEETING)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )

    distributor_path = "relationship__person__distributor"
    objects = DistributorDataQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self):
        return f"{self.occurred_on} · {self.get_kind_display()} · {self.relationship}"

    def get_absolute_url(self):
        return self.relationship.get_absolute_url()


# Readiness and compliance reviews live in their own module; imported here so that they are models of this app.
from .readiness_models import (  # noqa: E402,F401
    ActionItem,
    ComplianceReview,
    ReadinessAnswer,
    ReadinessAssessment,
    ReadinessQuestion,
    ReadinessQuestionnaire,
)
from .request_models import CoverageRequest  # noqa: E402,F401  (a model of this app, kept in its own module)

"""Corporate clients and their buying centres (DESIGN.md §3, clients)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.external_ids import check_free as check_external_id_free
from keychannel.core.external_ids import external_id_field, per_distributor_constraints
from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet

from .choices import (
    ActionStatus,
    BuyingRole,
    ClientStatus,
    CompetitorPosition,
    ObjectiveStatus,
    RelationshipLevel,
    RevenueBand,
    StakeholderLevel,
    StakeholderLinkKind,
)
from .matching import name_keys, normalize_company_name, normalize_tax_id


class CorporateClient(TimeStampedModel):
    """A corporate client (or prospect), served by one distributor or directly by the manufacturer.

    ``distributor`` empty means "direct": a manufacturer-led client, visible to network-wide roles only.
    ``normalized_name``, ``name_key`` and ``name_key2`` are derived from ``legal_name`` on save and feed the
    duplicate check; ``coverage_score``/``risk_flags`` are the stored result of the buying-centre analysis.
    """

    legal_name = models.CharField(_("legal name"), max_length=200)
    normalized_name = models.CharField(_("normalised name"), max_length=200, db_index=True, editable=False)
    # Indexed by the covering indexes of Meta.indexes (the duplicate check reads its candidates off them alone).
    name_key = models.CharField(max_length=8, editable=False, blank=True)
    name_key2 = models.CharField(max_length=8, editable=False, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True, db_index=True)
    code = models.CharField(_("client code"), max_length=40, blank=True)
    external_id = external_id_field()
    distributor = models.ForeignKey(
        "network.Distributor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clients",
        verbose_name=_("serving distributor"),
        help_text=_("Empty means direct: led by the manufacturer."),
    )
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    revenue_band = models.CharField(_("revenue band"), max_length=10, choices=RevenueBand.choices, blank=True)
    territory = models.ForeignKey(
        "network.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clients",
        verbose_name=_("territory"),
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    potential_annual_volume = models.DecimalField(
        _("potential annual volume (RON)"), max_digits=16, decimal_places=2, default=0
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ClientStatus.choices, default=ClientStatus.PROSPECT, db_index=True
    )
    is_key_account = models.BooleanField(_("key account"), default=False, db_index=True)
    why_chose_us = models.TextField(_("why they chose us"), blank=True)
    out_of_scope = models.BooleanField(_("taken out of scope"), default=False)
    out_of_scope_since = models.DateTimeField(_("out of scope since"), null=True, blank=True)
    coverage_score = models.PositiveSmallIntegerField(_("coverage score"), null=True, blank=True, editable=False)
    risk_flags = models.JSONField(_("risk flags"), default=list, blank=True, editable=False)
    risk_flag_count = models.PositiveSmallIntegerField(_("risk flags"), default=0, db_index=True, editable=False)
    analysed_at = models.DateTimeField(_("analysed"), null=True, blank=True, editable=False)
    # Archived: out of the default lists, kept for everyone whose records point at it (a distributor
    # archives instead of deleting a client the manufacturer's records reference; docs/access.md).
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["analysed_at"])

    class Meta:
        ordering = ["normalized_name", "id"]
        verbose_name = _("corporate client")
        verbose_name_plural = _("corporate clients")
        constraints = [
            models.UniqueConstraint(
                fields=["tax_id"], condition=~models.Q(tax_id=""), name="%(app_label)s_%(class)s_unique_tax_id"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="%(app_label)s_%(class)s_unique_code"
            ),
            *per_distributor_constraints("clients_client"),
            models.CheckConstraint(
                condition=models.Q(potential_annual_volume__gte=0),
                name="%(app_label)s_%(class)s_volume_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["distributor", "normalized_name"], name="clients_client_dist_name"),
            # updated_since (docs/api.md, "Sync"): the changes in order, read off an index.
            models.Index(fields=["updated_at", "id"], name="clients_client_changes"),
            # The list's order (normalized_name, id): cursor pages of the network-wide list read it off this index.
            models.Index(fields=["normalized_name", "id"], name="clients_client_name_id"),
            # A deep offset page of the default list (archived left out) skips its rows in an index-only scan of
            # this narrow index instead of sorting every client on disk (issue 22: 211 ms at 200k clients).
            models.Index(fields=["normalized_name", "id"], condition=models.Q(archived_at__isnull=True),
                         name="clients_client_live_name"),
            # The capped count of a reach's live clients (``selectors.client_count``, the clients list's count for
            # a distributor set) in an index-only scan: without it, 10,001 heap rows were visited to test
            # archived_at (7-20 ms at 200k clients; issue 22).
            models.Index(fields=["distributor"], condition=models.Q(archived_at__isnull=True),
                         name="clients_client_live_dist"),
            # The duplicate check's candidates (``selectors.client_matches``): one index-only scan per name key
            # holding every column the matcher reads. A bitmap scan of the two plain key indexes fetched each of
            # the 3,001 candidates of a common key from the heap (about 6.5 ms at 200k clients; issue 22).
            # The other key is the second column: a common key's block is narrowed by the other key's first letter,
            # a range of the index (the second key's branch also leaves out the rows the first key's found).
            models.Index(fields=["name_key", "name_key2"], include=["id", "normalized_name", "tax_id"],
                         name="clients_client_key1_pair"),
            models.Index(fields=["name_key2", "name_key"], include=["id", "normalized_name", "tax_id"],
                         name="clients_client_key2_pair"),
        ]

    def __str__(self):
        return self.legal_name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    # list pages build the URL of many rows from this name, reversed once (core.tables)
    detail_url_name = "clients:client_detail"

    def get_absolute_url(self):
        return reverse(self.detail_url_name, args=[self.pk])

    @property
    def is_direct(self) -> bool:
        return self.distributor_id is None

    @property
    def key_account_label(self) -> str:
        return str(_("Key account")) if self.is_key_account else ""

    def refresh_derived_fields(self) -> None:
        self.tax_id = normalize_tax_id(self.tax_id)
        self.code = (self.code or "").strip()
        self.normalized_name = normalize_company_name(self.legal_name)[:200]
        self.name_key, self.name_key2 = name_keys(self.normalized_name)

    def clean(self):
        super().clean()
        self.refresh_derived_fields()
        if not self.normalized_name:
            raise ValidationError({"legal_name": _("Enter the company's name.")})
        check_external_id_free(self)

    def save(self, *args, **kwargs):
        self.refresh_derived_fields()
        super().save(*args, **kwargs)


class Stakeholder(TimeStampedModel):
    """A person in (or around) a client's buying centre, with how they stand towards us."""

    distributor_path = "client__distributor"
    part_of = ("client", "reports_to")  # core.deletion: a client's people go with it

    client = models.ForeignKey(
        CorporateClient, on_delete=models.CASCADE, related_name="stakeholders", verbose_name=_("client")
    )
    full_name = models.CharField(_("full name"), max_length=150)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    level = models.CharField(
        _("level"), max_length=20, choices=StakeholderLevel.choices, default=StakeholderLevel.MIDDLE_MANAGER
    )
    reports_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name=_("reports to")
    )
    buying_roles = models.JSONField(_("buying roles"), default=list, blank=True)
    influence = models.PositiveSmallIntegerField(
        _("influence (1–5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    attitude = models.SmallIntegerField(
        _("attitude (−2…+2)"), default=0, validators=[MinValueValidator(-2), MaxValueValidator(2)]
    )
    personal_interests = models.TextField(_("personal interests"), blank=True)
    company_interests = models.TextField(_("company interests"), blank=True)
    is_external = models.BooleanField(_("external influencer"), default=False)
    external_organization = models.CharField(_("external organisation"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    # Optimistic concurrency: every edit through the service adds one; an edit made against an older version
    # is refused instead of silently overwriting the other one (services.stakeholder_update).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    known_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="StakeholderContact",
        related_name="known_stakeholders",
        blank=True,
        verbose_name=_("known by"),
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["client_id", "full_name", "id"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5), name="%(app_label)s_%(class)s_influence_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(attitude__gte=-2, attitude__lte=2), name="%(app_label)s_%(class)s_attitude_range"
            ),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("clients:client_detail", args=[self.client_id]) + f"#stakeholder-{self.pk}"

    def has_role(self, role: str) -> bool:
        return role in (self.buying_roles or [])

    def buying_role_items(self) -> list[tuple[str, str]]:
        labels = dict(BuyingRole.choices)
        return [(r, str(labels.get(r, r))) for r in self.buying_roles or []]

    def get_buying_roles_display(self) -> list[str]:
        labels = dict(BuyingRole.choices)
        return [str(labels.get(r, r)) for r in self.buying_roles or []]

    def clean(self):
        super().clean()
        roles = self.buying_roles or []
        if not isinstance(roles, list) or any(r not in BuyingRole.values for r in roles):
            raise ValidationError({"buying_roles": _("Choose buying roles from the list.")})
        self.buying_roles = [r for r in BuyingRole.values if r in roles]  # canonical order, no repeats
        if self.reports_to_id is not None:
            if self.pk is not None and self.reports_to_id == self.pk:
                raise ValidationError({"reports_to": _("A person cannot report to themselves.")})
            manager = self.reports_to
            if manager.client_id != self.client_id:
                raise ValidationError({"reports_to": _("Choose a person of the same client.")})
            seen = {self.pk}
            while manager is not None:
                if manager.pk in seen:
                    raise ValidationError({"reports_to": _("This would make a reporting loop.")})
                seen.add(manager.pk)
                manager = manager.reports_to


class StakeholderContact(TimeStampedModel):
    """Somebody on our side who knows a stakeholder, and how well (now and where we want to be)."""

    distributor_path = "stakeholder__client__distributor"
    part_of = ("stakeholder",)

    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("stakeholder")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stakeholder_contacts", verbose_name=_("our person")
    )
    current_level = models.CharField(
        _("relationship now"), max_length=15, choices=RelationshipLevel.choices, default=RelationshipLevel.ACQUAINTED
    )
    desired_level = models.CharField(
        _("relationship wanted"), max_length=15, choices=RelationshipLevel.choices, default=RelationshipLevel.TRUSTED
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["stakeholder_id", "user_id"]
        verbose_name = _("our contact")
        verbose_name_plural = _("our contacts")
        constraints = [
            models.UniqueConstraint(fields=["stakeholder", "user"], name="%(app_label)s_%(class)s_unique_pair")
        ]

    def __str__(self):
        return f"{self.user} → {self.stakeholder}"

    def get_absolute_url(self):
        return self.stakeholder.get_absolute_url()


class StakeholderLink(TimeStampedModel):
    """An informal link inside a buying centre: A influences B, or A is in conflict with B."""

    distributor_path = "source__client__distributor"
    part_of = ("source", "target")

    source = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="links_out", verbose_name=_("from")
    )
    target = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="links_in", verbose_name=_("to"))
    kind = models.CharField(_("kind"), max_length=12, choices=StakeholderLinkKind.choices)
    note = models.CharField(_("note"), max_length=250, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["source_id", "kind", "target_id"]
        verbose_name = _("stakeholder link")
        verbose_name_plural = _("stakeholder links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="%(app_label)s_%(class)s_unique_link"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="%(app_label)s_%(class)s_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.get_kind_display()} {self.target}"

    def get_absolute_url(self):
        return reverse("clients:client_detail", args=[self.source.client_id]) + "#links"

    def clean(self):
        super().clean()
        if self.source_id and self.target_id:
            if self.source_id == self.target_id:
                raise ValidationError({"target": _("Choose another person.")})
            if self.source.client_id != self.target.client_id:
                raise ValidationError({"target": _("Choose a person of the same client.")})


class ClientMerge(TimeStampedModel):
    """The record of two clients merged into one: what was absorbed and what was re-pointed."""

    distributor_path = "survivor__distributor"
    owned_by_manufacturer = True  # core.deletion: a merge is the program office's record

    survivor = models.ForeignKey(
        CorporateClient, on_delete=models.PROTECT, related_name="merges", verbose_name=_("kept client")
    )
    merged_client_id = models.PositiveBigIntegerField(_("merged client id"))
    merged_legal_name = models.CharField(_("merged client"), max_length=200)
    merged_tax_id = models.CharField(_("merged tax id"), max_length=20, blank=True)
    merged_distributor_id = models.PositiveBigIntegerField(_("merged client's distributor id"), null=True, blank=True)
    repointed = models.JSONField(_("re-pointed records"), default=dict, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("merged by")
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("client merge")
        verbose_name_plural = _("client merges")

    def __str__(self):
        return f"{self.merged_legal_name} → {self.survivor}"

    def get_absolute_url(self):
        return self.survivor.get_absolute_url()


class AccountPlan(TimeStampedModel):
    """The plan for one key account: the ambition, and (below) objectives, actions and competitors."""

    distributor_path = "client__distributor"
    part_of = ("client",)

    client = models.OneToOneField(
        CorporateClient, on_delete=models.CASCADE, related_name="account_plan", verbose_name=_("client")
    )
    ambition = models.TextField(_("ambition"), blank=True, help_text=_("Where we want to be with this client."))
    situation = models.TextField(_("current situation"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_account_plans",
        verbose_name=_("plan owner"),
    )
    review_on = models.DateField(_("next review"), null=True, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["client_id"]
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")

    def __str__(self):
        return str(_("Account plan: %(client)s") % {"client": self.client})

    def get_absolute_url(self):
        return reverse("clients:account_plan", args=[self.client_id])


class AccountObjective(TimeStampedModel):
    """A measurable objective of an account plan, with an owner and a date."""

    distributor_path = "plan__client__distributor"
    part_of = ("plan",)

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("plan"))
    title = models.CharField(_("objective"), max_length=200)
    measure = models.CharField(_("measure of success"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ObjectiveStatus.choices, default=ObjectiveStatus.OPEN)
    result = models.TextField(_("result"), blank=True, help_text=_("What came of it: achieved how, or why dropped."))

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "due_on", "id"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.plan.get_absolute_url() + f"#objective-{self.pk}"


class AccountAction(TimeStampedModel):
    """A concrete step of an account plan, optionally serving one objective."""

    distributor_path = "plan__client__distributor"
    part_of = ("plan", "objective")

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions", verbose_name=_("plan"))
    objective = models.ForeignKey(
        AccountObjective,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("objective"),
    )
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    result = models.TextField(_("result"), blank=True, help_text=_("What came of it: achieved how, or why dropped."))

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "due_on", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.plan.get_absolute_url() + f"#action-{self.pk}"


class AccountCompetitor(TimeStampedModel):
    """A competitor present at a key account."""

    distributor_path = "plan__client__distributor"
    part_of = ("plan",)

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="competitors", verbose_name=_("plan"))
    name = models.CharField(_("competitor"), max_length=150)
    position = models.CharField(
        _("position"), max_length=12, choices=CompetitorPosition.choices, default=CompetitorPosition.INCUMBENT
    )
    products = models.CharField(_("what they supply"), max_length=200, blank=True)
    note = models.CharField(_("strengths and weaknesses"), max_length=250, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "name", "id"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="%(app_label)s_%(class)s_unique_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.plan.get_absolute_url() + "#competitors"

"""The rules of who works which client: deal registrations, channel conflicts and lead distribution."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import (
    AuditedQuerySet,
    DistributorScopedQuerySet,
    ParentScopedQuerySet,
    ReferenceQuerySet,
    ScopedQuerySet,
    in_lookup,
)

from .choices import (
    ACTIVE_REGISTRATION_STATUSES,
    OPEN_CONFLICT_STATUSES,
    ConflictKind,
    ConflictStatus,
    InFlightHandling,
    LeadSource,
    LeadStatus,
    OfferStatus,
    OutOfScopeReason,
    PartyRole,
    RegistrationStatus,
    Resolution,
)

MONEY = {"max_digits": 16, "decimal_places": 2}


class DealRegistrationQuerySet(DistributorScopedQuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_REGISTRATION_STATUSES)

    def protected_on(self, on_date: date):
        """Approved registrations still inside their protection period on ``on_date``."""
        return self.filter(status=RegistrationStatus.APPROVED, protected_until__gte=on_date)

    def due_to_expire(self, on_date: date):
        return self.filter(status=RegistrationStatus.APPROVED, protected_until__lt=on_date)


def _protected_on(status: str, protected_until: date | None, on_date: date) -> bool:
    return status == RegistrationStatus.APPROVED and protected_until is not None and protected_until >= on_date


def effective_registration_status(status: str, protected_until: date | None, on_date: date) -> str:
    """``DealRegistration.effective_status`` from its two columns, for value rows (channel/registration_rows.py)."""
    if status == RegistrationStatus.APPROVED and not _protected_on(status, protected_until, on_date):
        return RegistrationStatus.EXPIRED
    return status


class DealRegistration(TimeStampedModel):
    """A distributor's claim on a client and a deal, checked at submission and decided by the manufacturer.

    ``holds_claim`` marks the first active registration of a client; the database allows one per client
    (``channel_dealregistration_one_claim_per_client``), which is what keeps two simultaneous registrations
    from both becoming first. ``checks`` keeps every automatic check that failed, with its code and params.
    """

    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("client")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("registrant")
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deal_registrations",
        verbose_name=_("registered by"),
    )
    on_behalf = models.BooleanField(
        _("registered by the embedded KAM on the distributor's behalf"), default=False
    )
    client_name = models.CharField(
        _("client as registered"), max_length=200,
        help_text=_("The name the registrant entered; shown instead of the client record they may not see."),
    )
    title = models.CharField(_("deal"), max_length=200)
    product_lines = models.ManyToManyField(
        "network.ProductLine", related_name="registrations", verbose_name=_("product lines")
    )
    estimated_value = models.DecimalField(_("estimated value (RON)"), default=Decimal("0"), **MONEY)
    expected_close_on = models.DateField(_("expected close"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING,
        db_index=True,
    )
    holds_claim = models.BooleanField(_("first registration of the client"), default=False)
    checks = models.JSONField(_("failed checks"), default=list, blank=True)
    submitted_on = models.DateField(_("submitted on"), default=timezone.localdate)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    opportunity = models.ForeignKey(
        "deals.Opportunity", on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations",
        verbose_name=_("opportunity"),
    )
    # The conflict decision that closed this registration (a client taken out of scope, docs/rules.md).
    closed_by_conflict = models.ForeignKey(
        "Conflict", on_delete=models.PROTECT, null=True, blank=True, related_name="closed_registrations",
        verbose_name=_("closed by the decision on"),
    )

    objects = DealRegistrationQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[product_lines])

    class Meta:
        ordering = ["-submitted_on", "-id"]
        verbose_name = _("deal registration")
        verbose_name_plural = _("deal registrations")
        indexes = [models.Index(fields=["status", "submitted_on"], name="channel_reg_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(holds_claim=True, status__in=ACTIVE_REGISTRATION_STATUSES),
                name="%(app_label)s_%(class)s_one_claim_per_client",
            ),
            models.UniqueConstraint(
                fields=["client", "distributor"],
                condition=Q(status__in=ACTIVE_REGISTRATION_STATUSES),
                name="%(app_label)s_%(class)s_one_active_per_distributor",
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="%(app_label)s_%(class)s_value_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status=RegistrationStatus.APPROVED) | Q(protected_until__isnull=False),
                name="%(app_label)s_%(class)s_approved_has_end",
            ),
        ]

    def __str__(self):
        return f"{self.client_name} · {self.distributor.code}"

    def get_absolute_url(self):
        return reverse("channel:registration_detail", args=[self.pk])

    def is_protected_on(self, on_date: date | None = None) -> bool:
        return _protected_on(self.status, self.protected_until, on_date or timezone.localdate())

    @property
    def effective_status(self) -> str:
        """The status as of today: an approved registration past its end counts as expired even before the job runs."""
        return effective_registration_status(self.status, self.protected_until, timezone.localdate())

    def get_effective_status_display(self) -> str:
        return str(RegistrationStatus(self.effective_status).label)

    @property
    def age_days(self) -> int:
        return (timezone.localdate() - self.submitted_on).days


class ConflictQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Network-wide roles see every conflict; others those with a party in their reach.

        A distributor head sees the conflicts involving their distributor, a salesperson only those on
        registrations they submitted themselves.
        """
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        parties = ConflictParty.objects.filter(conflict=OuterRef("pk"), distributor_id__in=in_lookup(reach))
        if principal.has_role("dist_sales"):
            parties = parties.filter(registration__registered_by_id=principal.user_id)
        return self.filter(Exists(parties))

    def open(self):
        return self.filter(status__in=OPEN_CONFLICT_STATUSES)


class Conflict(TimeStampedModel):
    """A dispute over who works a client, opened by a failed registration check or by the manufacturer."""

    kind = models.CharField(_("kind"), max_length=20, choices=ConflictKind.choices, db_index=True)
    status = models.CharField(
        _("status"), max_length=15, choices=ConflictStatus.choices, default=ConflictStatus.OPEN, db_index=True
    )
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="channel_conflicts", verbose_name=_("client")
    )
    client_name = models.CharField(_("client"), max_length=200)
    territory = models.ForeignKey(
        "network.Territory", on_delete=models.PROTECT, null=True, blank=True, related_name="channel_conflicts",
        verbose_name=_("territory"),
    )
    product_lines = models.ManyToManyField(
        "network.ProductLine", blank=True, related_name="channel_conflicts", verbose_name=_("product lines")
    )
    registration = models.ForeignKey(
        DealRegistration, on_delete=models.SET_NULL, null=True, blank=True, related_name="conflicts",
        verbose_name=_("registration that raised it"),
    )
    reason = models.TextField(_("what the check found"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("opened by"),
    )
    due_on = models.DateField(_("decision due"))
    resolution = models.CharField(_("resolution"), max_length=15, choices=Resolution.choices, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    awarded_to = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("awarded to"),
    )
    # Taken out of scope.
    out_of_scope_reason = models.CharField(
        _("out-of-scope reason"), max_length=25, choices=OutOfScopeReason.choices, blank=True
    )
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), null=True, blank=True)
    in_flight = models.CharField(_("deals in flight"), max_length=15, choices=InFlightHandling.choices, blank=True)
    grace_until = models.DateField(_("grace period until"), null=True, blank=True)
    compensation = models.DecimalField(_("compensation (RON)"), null=True, blank=True, **MONEY)
    project_opportunity = models.ForeignKey(
        "deals.Opportunity", on_delete=models.SET_NULL, null=True, blank=True, related_name="source_conflicts",
        verbose_name=_("manufacturer-led project"),
    )
    # Another conflict's out-of-scope decision on the same client closed this one (docs/rules.md).
    closed_by_decision = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="closed_conflicts",
        verbose_name=_("closed by the decision on"),
    )

    objects = ConflictQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[product_lines])

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("channel conflict")
        verbose_name_plural = _("channel conflicts")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ConflictStatus.RESOLVED, decided_at__isnull=False)
                | (~Q(status=ConflictStatus.RESOLVED) & Q(resolution="")),
                name="%(app_label)s_%(class)s_resolved_has_decision",
            ),
            models.CheckConstraint(
                condition=Q(compensation__isnull=True) | Q(compensation__gte=0),
                name="%(app_label)s_%(class)s_compensation_not_negative",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} · {self.client_name}"

    def get_absolute_url(self):
        return reverse("channel:conflict_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CONFLICT_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()

    @property
    def age_days(self) -> int:
        return (timezone.localdate() - timezone.localdate(self.created_at)).days if self.created_at else 0


class ConflictParty(TimeStampedModel):
    """A distributor involved in a conflict, with its registration (if any) and its share when shared."""

    conflict = models.ForeignKey(Conflict, on_delete=models.CASCADE, related_name="parties", verbose_name=_("conflict"))
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, related_name="conflict_parties", verbose_name=_("distributor")
    )
    role = models.CharField(_("role"), max_length=10, choices=PartyRole.choices)
    registration = models.ForeignKey(
        DealRegistration, on_delete=models.SET_NULL, null=True, blank=True, related_name="conflict_parties",
        verbose_name=_("registration"),
    )
    share_percent = models.PositiveSmallIntegerField(_("share (%)"), null=True, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["conflict_id", "role", "id"]
        verbose_name = _("conflict party")
        verbose_name_plural = _("conflict parties")
        constraints = [
            models.UniqueConstraint(fields=["conflict", "distributor"], name="%(app_label)s_%(class)s_once"),
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True) | Q(share_percent__lte=100),
                name="%(app_label)s_%(class)s_share_max_100",
            ),
        ]

    def __str__(self):
        return f"{self.conflict_id} · {self.distributor.code} ({self.get_role_display()})"

    def get_absolute_url(self):
        return reverse("channel:conflict_detail", args=[self.conflict_id])


class ConflictCommentQuerySet(ParentScopedQuerySet):
    def visible_to(self, principal):
        """Manufacturer roles read every comment of the conflicts they see; a distributor user reads the
        manufacturer's non-internal comments and those of their own distributor, never the other party's."""
        qs = super().visible_to(principal)  # the comments of the conflicts the principal sees
        if not principal.is_authenticated or principal.is_manufacturer:
            return qs
        return qs.filter(internal=False).filter(
            Q(author_distributor__isnull=True) | Q(author_distributor_id=principal.own_distributor_id)
        )


class ConflictComment(TimeStampedModel):
    """One message in a conflict's thread; ``internal`` ones are for the manufacturer only."""

    conflict = models.ForeignKey(Conflict, on_delete=models.CASCADE, related_name="comments", verbose_name=_("conflict"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    author_distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("author's distributor"),
    )
    body = models.TextField(_("comment"))
    internal = models.BooleanField(_("internal (manufacturer only)"), default=False)

    objects = ConflictCommentQuerySet.as_manager()
    parent_path = "conflict"  # a conflict's thread: visible when the conflict is (then narrowed, above)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("conflict comment")
        verbose_name_plural = _("conflict comments")

    def __str__(self):
        return f"{self.conflict_id} · {self.author} · {self.created_at:%Y-%m-%d}" if self.created_at else str(self.author)

    def get_absolute_url(self):
        return reverse("channel:conflict_detail", args=[self.conflict_id]) + f"#comment-{self.pk}"


class LeadQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Network-wide roles see every lead; the others the leads offered to a distributor they reach (and a
        manufacturer person the leads they passed)."""
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        offered = Exists(LeadOffer.objects.filter(lead=OuterRef("pk"), distributor_id__in=in_lookup(reach)))
        if principal.is_manufacturer:  # the manufacturer person who passed a lead follows it
            return self.filter(offered | Q(created_by_id=principal.user_id))
        return self.filter(offered)


class Lead(TimeStampedModel):
    """A corporate lead the manufacturer passes to the distributors that cover the client, one at a time."""

    company_name = models.CharField(_("company"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True)
    territory = models.ForeignKey(
        "network.Territory", on_delete=models.PROTECT, related_name="leads", verbose_name=_("territory")
    )
    product_lines = models.ManyToManyField("network.ProductLine", related_name="leads", verbose_name=_("product lines"))
    estimated_value = models.DecimalField(_("estimated value (RON)"), default=Decimal("0"), **MONEY)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.MARKETING)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("passed by"),
    )
    registration = models.OneToOneField(
        DealRegistration, on_delete=models.SET_NULL, null=True, blank=True, related_name="lead",
        verbose_name=_("registration"),
    )
    # Set when the manufacturer hands a lead nobody took to a distributor by hand (channel/services/leads.py).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("asked to take it"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assigned by"),
    )

    objects = LeadQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[product_lines])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.CheckConstraint(condition=Q(estimated_value__gte=0), name="%(app_label)s_%(class)s_value_not_negative"),
        ]

    def __str__(self):
        return self.company_name

    def get_absolute_url(self):
        return reverse("channel:lead_detail", args=[self.pk])


class LeadOffer(TimeStampedModel):
    """One distributor's turn with a lead: offered, then accepted, declined (with a reason) or timed out."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="offers", verbose_name=_("lead"))
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, related_name="lead_offers", verbose_name=_("distributor")
    )
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED)
    offered_on = models.DateField(_("offered on"), default=timezone.localdate)
    respond_by = models.DateField(_("answer by"))
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("answered by"),
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["lead_id", "offered_on", "id"]
        verbose_name = _("lead offer")
        verbose_name_plural = _("lead offers")
        constraints = [
            # A distributor is offered a lead at most once: decliners are never asked again.
            models.UniqueConstraint(fields=["lead", "distributor"], name="%(app_label)s_%(class)s_once_per_distributor"),
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status=OfferStatus.OFFERED), name="%(app_label)s_%(class)s_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.lead} → {self.distributor.code}"

    def get_absolute_url(self):
        return reverse("channel:lead_detail", args=[self.lead_id])


class ChannelPolicy(TimeStampedModel):
    """The program office's settings of the registration gate (docs/rules.md). One row (pk 1), strict defaults.

    The gate's unconditional rules (another distributor's exclusive or sole-channel cell, no coverage, a client
    not in the distributor's book) are not settings: only the two optional triggers are.
    """

    SINGLETON_PK = 1

    key_accounts_need_registration = models.BooleanField(
        _("key accounts need a registration"), default=True,
        help_text=_("A distributor's deal with a key account needs an approved registration past the first stage."),
    )
    registration_value_threshold = models.DecimalField(
        _("registration needed from (RON)"), null=True, blank=True, default=Decimal("500000"), **MONEY,
        help_text=_("A deal of at least this value needs an approved registration. Empty: no value rule."),
    )
    out_of_scope_grace_days = models.PositiveSmallIntegerField(
        _("grace period after taking a client out of scope (days)"), default=90,
        validators=[MaxValueValidator(365)],
        help_text=_("How long a distributor keeps its open deals on a client taken out of scope, unless the "
                    "decision says otherwise."),
    )
    # Read by the deals app through its policy-setting socket (keychannel/deals/gate.py, docs/rules.md,
    # "Product-test sign-off"): deals cannot import this model.
    product_test_needs_manufacturer_signoff = models.BooleanField(
        _("product tests need a manufacturer sign-off"), default=True,
        help_text=_("A product test is passed only when a manufacturer role other than the deal's owner has "
                    "signed it off, besides the client's stakeholders."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("last changed by"),
    )

    objects = ReferenceQuerySet.as_manager()  # every signed-in user reads the rules they work under
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("channel policy")
        verbose_name_plural = _("channel policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="%(app_label)s_%(class)s_singleton"),
            models.CheckConstraint(
                condition=Q(registration_value_threshold__isnull=True) | Q(registration_value_threshold__gte=0),
                name="%(app_label)s_%(class)s_threshold_not_negative",
            ),
        ]

    def __str__(self):
        return str(_("Channel policy"))

    def get_absolute_url(self):
        return reverse("channel:policy")

    @classmethod
    def current(cls) -> "ChannelPolicy":
        """The policy in force: the stored row, or the strict defaults until the program office saves one."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)

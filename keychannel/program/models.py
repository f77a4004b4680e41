"""The key-account program: goals cascaded to distributors, rules and motivation, sign-off, events, support, learning."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, DistributorScopedQuerySet, ScopedQuerySet
from keychannel.network.models import Distributor

from .choices import (
    AppealStatus,
    BestPracticeStatus,
    EventKind,
    EventStatus,
    GoalLevel,
    LedgerKind,
    ProgramStatus,
    ResourceKind,
    Rsvp,
    RuleKind,
    RuleStatus,
    SignoffDecision,
    SupportKind,
    SupportStatus,
)

MONEY = {"max_digits": 16, "decimal_places": 2}
PUBLISHED_PROGRAM = [ProgramStatus.LAUNCHED, ProgramStatus.CLOSED]


class PublishedContentQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Program content: every manufacturer role reads it all, distributor users only what is published.

    "Published" is the model's ``published`` flag; a model where it means something else says so with a
    static ``published_filter()`` returning a Q object.
    """

    def published_filter(self) -> Q:
        model_filter = getattr(self.model, "published_filter", None)
        return model_filter() if model_filter is not None else Q(published=True)

    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(self.published_filter())


class ManufacturerOnlyQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        return self.all() if principal.is_authenticated and principal.is_manufacturer else self.none()


class HeadScopedQuerySet(DistributorScopedQuerySet):
    """Distributor business (support, ledger): reach for manufacturer roles, the head for the distributor side."""

    def visible_to(self, principal):
        if principal.is_authenticated and principal.has_role("dist_sales"):
            return self.none()
        return super().visible_to(principal)


class Program(TimeStampedModel):
    """The key-account program run as a project: one manager, a strategy, a period and a sign-off."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    strategy = models.TextField(_("strategy"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_programs", verbose_name=_("manager")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=20, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    # Lifecycle (keychannel/program/lifecycle.py): a revision after an objection starts a new version and a new
    # sign-off round; the earlier sign-offs stay with the version they judged.
    version = models.PositiveIntegerField(_("version"), default=1)
    revision_note = models.TextField(_("what the last revision changed"), blank=True)
    withdrawn_reason = models.TextField(_("withdrawal reason"), blank=True)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    override_reason = models.TextField(_("sign-off override reason"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("override by"),
    )

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "name", "id"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="%(app_label)s_%(class)s_period_ordered"
            )
        ]

    @staticmethod
    def published_filter():
        return Q(status__in=PUBLISHED_PROGRAM)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("program:program_detail", args=[self.pk])


class Signoff(TimeStampedModel):
    """One executive's decision on a program awaiting sign-off."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="signoffs", verbose_name=_("program"))
    executive = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="program_signoffs", verbose_name=_("executive")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=SignoffDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(_("program version"), default=1)

    objects = ManufacturerOnlyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "-version", "executive__username", "id"]
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "version", "executive"], name="%(app_label)s_%(class)s_one_per_executive_version"
            )
        ]

    def __str__(self):
        return f"{self.program} · {self.executive} · {self.get_decision_display()}"

    def get_absolute_url(self):
        return self.program.get_absolute_url() + "#signoff"


class GoalQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Distributor goals follow reach; office and program goals are manufacturer knowledge.

        Distributor users see their own distributor's goals of a launched (or closed) program.
        """
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if principal.is_manufacturer:
            if reach is None:
                return self.all()
            return self.filter(Q(distributor__isnull=True) | Q(distributor_id__in=list(reach)))
        return self.filter(distributor_id__in=list(reach or []), program__status__in=PUBLISHED_PROGRAM)


class Goal(TimeStampedModel):
    """A node of the goals cascade: program › office / department › distributor. The actual is computed, never typed."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="goals", verbose_name=_("program"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("parent goal")
    )
    level = models.CharField(_("level"), max_length=20, choices=GoalLevel.choices)
    name = models.CharField(_("name"), max_length=160, help_text=_("e.g. 'North-West office' or the distributor's name."))
    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, null=True, blank=True, related_name="program_goals",
        verbose_name=_("distributor"),
    )
    metric = models.CharField(_("metric"), max_length=40)
    target = models.DecimalField(_("target"), validators=[MinValueValidator(Decimal("0"))], **MONEY)
    starts_on = models.DateField(_("period from"))
    ends_on = models.DateField(_("period to"))

    objects = GoalQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "level", "name", "metric", "id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="%(app_label)s_%(class)s_period_ordered"),
            models.CheckConstraint(condition=Q(target__gte=0), name="%(app_label)s_%(class)s_target_not_negative"),
            models.CheckConstraint(
                condition=(Q(level=GoalLevel.DISTRIBUTOR) & Q(distributor__isnull=False))
                | (~Q(level=GoalLevel.DISTRIBUTOR) & Q(distributor__isnull=True)),
                name="%(app_label)s_%(class)s_distributor_level",
            ),
            models.UniqueConstraint(
                fields=["program", "parent", "name", "metric"], name="%(app_label)s_%(class)s_unique_node"
            ),
        ]

    def __str__(self):
        return f"{self.name} · {self.metric_label}"

    def get_absolute_url(self):
        return reverse("program:goal_detail", args=[self.pk])

    @property
    def metric_label(self):
        from .metrics import METRICS

        metric = METRICS.get(self.metric)
        return metric.label if metric else self.metric


class MilestoneQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        return self.filter(goal__in=Goal.objects.visible_to(principal).values("pk"))


class Milestone(TimeStampedModel):
    """An expected result with a date, on the way to a goal."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("goal"))
    title = models.CharField(_("title"), max_length=160)
    expected_result = models.TextField(_("expected result"))
    due_on = models.DateField(_("due on"))
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)

    distributor_path = "goal__distributor"
    objects = MilestoneQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["goal", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.goal.get_absolute_url() + f"#milestone-{self.pk}"


class ProgramRule(TimeStampedModel):
    """One version of a program rule: an incentive, a restriction or a penalty, with its parameters."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rules", verbose_name=_("program"))
    code = models.SlugField(_("code"), max_length=60, help_text=_("Stable across versions, e.g. 'revenue-bonus'."))
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    title = models.CharField(_("title"), max_length=160)
    text = models.TextField(_("rule text"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RuleStatus.choices, default=RuleStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "code", "-version", "id"]
        verbose_name = _("program rule")
        verbose_name_plural = _("program rules")
        constraints = [
            models.UniqueConstraint(fields=["program", "code", "version"], name="%(app_label)s_%(class)s_unique_version"),
            models.UniqueConstraint(
                fields=["program", "code"], condition=Q(status=RuleStatus.PUBLISHED),
                name="%(app_label)s_%(class)s_one_published",
            ),
        ]

    @staticmethod
    def published_filter():
        return Q(status__in=[RuleStatus.PUBLISHED, RuleStatus.SUPERSEDED])

    def __str__(self):
        return f"{self.title} v{self.version}"

    def get_absolute_url(self):
        return reverse("program:rule_list", args=[self.program_id]) + f"#rule-{self.pk}"

    @property
    def bonus_percent(self) -> Decimal:
        return Decimal(str(self.parameters.get("bonus_percent", 0)))


class Acknowledgement(TimeStampedModel):
    """A distributor's head has read and accepted one published rule version."""

    rule = models.ForeignKey(ProgramRule, on_delete=models.CASCADE, related_name="acknowledgements", verbose_name=_("rule"))
    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="rule_acknowledgements", verbose_name=_("distributor")
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("acknowledged by")
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["rule", "distributor__code", "id"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["rule", "distributor"], name="%(app_label)s_%(class)s_once_per_distributor")
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.rule}"

    def get_absolute_url(self):
        return reverse("program:ack_dashboard", args=[self.rule.program_id])


class LedgerEntry(TimeStampedModel):
    """A penalty, restriction or reward applied to a distributor under a rule, with evidence, an owner and an appeal."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="ledger_entries", verbose_name=_("distributor")
    )
    rule = models.ForeignKey(ProgramRule, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("rule"))
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount (RON)"), default=0, validators=[MinValueValidator(Decimal("0"))], **MONEY)
    evidence = models.TextField(_("evidence"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    applied_on = models.DateField(_("applied on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    appeal_status = models.CharField(
        _("appeal"), max_length=20, choices=AppealStatus.choices, default=AppealStatus.NONE
    )
    appeal_text = models.TextField(_("appeal"), blank=True)
    appeal_decision = models.TextField(_("appeal decision"), blank=True)
    # Set when the rule's condition raised the entry (docs/rules.md): the rule code and the record it rests on, so
    # the scheduled check never raises the same entry twice for the same evidence. Empty for entries typed by hand.
    evidence_key = models.CharField(_("evidence key"), max_length=120, blank=True, default="", editable=False)

    objects = HeadScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-applied_on", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="%(app_label)s_%(class)s_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("applied_on")),
                name="%(app_label)s_%(class)s_expiry_after_start",
            ),
            models.UniqueConstraint(
                fields=["distributor", "evidence_key"], condition=~Q(evidence_key=""),
                name="%(app_label)s_%(class)s_once_per_evidence",
            ),
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.get_kind_display()} · {self.rule.title}"

    def get_absolute_url(self):
        return reverse("program:distributor_overview", args=[self.distributor_id]) + f"#ledger-{self.pk}"


class ProgramLevel(TimeStampedModel):
    """A partner level in the program (e.g. certified, strategic) with its benefits; criteria are computed from data."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="levels", verbose_name=_("program"))
    name = models.CharField(_("name"), max_length=80)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the entry level."))
    support_budget_share = models.DecimalField(
        _("support budget share (%)"), max_digits=5, decimal_places=2, default=0,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    protection_days = models.PositiveIntegerField(_("registration protection (days)"), default=90)
    benefits = models.TextField(_("other benefits"), blank=True)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "rank", "id"]
        verbose_name = _("program level")
        verbose_name_plural = _("program levels")
        constraints = [models.UniqueConstraint(fields=["program", "rank"], name="%(app_label)s_%(class)s_unique_rank")]

    @staticmethod
    def published_filter():
        return Q(program__status__in=PUBLISHED_PROGRAM)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.program.get_absolute_url() + f"#level-{self.pk}"


class LevelCriterion(TimeStampedModel):
    """A qualification threshold of a level on one metric, measured over the program period."""

    level = models.ForeignKey(ProgramLevel, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("level"))
    metric = models.CharField(_("metric"), max_length=40)
    threshold = models.DecimalField(_("threshold"), validators=[MinValueValidator(Decimal("0"))], **MONEY)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    @property
    def metric_label(self):
        """The metric's name in the active language, never its code (people_certified)."""
        from .metrics import METRICS

        metric = METRICS.get(self.metric)
        return metric.label if metric else self.metric

    class Meta:
        ordering = ["level", "metric", "id"]
        verbose_name = _("level criterion")
        verbose_name_plural = _("level criteria")
        constraints = [models.UniqueConstraint(fields=["level", "metric"], name="%(app_label)s_%(class)s_one_per_metric")]

    @staticmethod
    def published_filter():
        return Q(level__program__status__in=PUBLISHED_PROGRAM)

    def __str__(self):
        return f"{self.level} · {self.metric} ≥ {self.threshold}"

    def get_absolute_url(self):
        return self.level.get_absolute_url()


class EventQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Manufacturer roles see every event; distributor users published ones open to all or they are invited to."""
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        invited = EventInvitation.objects.filter(distributor_id__in=list(principal.distributor_ids or [])).values("event_id")
        return self.filter(status=EventStatus.PUBLISHED).filter(Q(open_to_all=True) | Q(pk__in=invited))


class Event(TimeStampedModel):
    """A workshop, meeting, training or conference of the program's year."""

    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("program")
    )
    title = models.CharField(_("title"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT)
    open_to_all = models.BooleanField(_("open to the whole network"), default=False)
    uid = models.CharField(_("calendar uid"), max_length=80, unique=True, editable=False)

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="%(app_label)s_%(class)s_period_ordered")
        ]

    def save(self, *args, **kwargs):
        if not self.uid:
            self.uid = f"{secrets.token_hex(12)}@keychannel"
        super().save(*args, **kwargs)

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:event_detail", args=[self.pk])


class EventInvitationQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        if principal.is_manufacturer:
            return self.filter(Q(distributor__isnull=True) | Q(distributor_id__in=list(reach)) | Q(user_id=principal.user_id))
        return self.filter(distributor_id__in=list(reach))


class EventInvitation(TimeStampedModel):
    """One person invited to an event (inviting a distributor invites its people), with their RSVP and attendance."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("event"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_invitations", verbose_name=_("person")
    )
    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, null=True, blank=True, related_name="event_invitations",
        verbose_name=_("distributor"),
    )
    rsvp = models.CharField(_("RSVP"), max_length=10, choices=Rsvp.choices, default=Rsvp.PENDING)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    objects = EventInvitationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "user__username", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="%(app_label)s_%(class)s_once_per_person")]

    def __str__(self):
        return f"{self.event} · {self.user}"

    def get_absolute_url(self):
        return self.event.get_absolute_url() + f"#invitation-{self.pk}"


class CalendarFeedQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        return self.filter(user_id=principal.user_id) if principal.is_authenticated else self.none()


class CalendarFeed(TimeStampedModel):
    """A user's secret iCalendar subscription URL; rotating the token revokes the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(_("token"), max_length=64, unique=True)

    objects = CalendarFeedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["token"])

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def __str__(self):
        return f"{self.user} · {self.token[:6]}…"

    def get_absolute_url(self):
        return reverse("program:calendar")


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
        from django.db.models import Case, DecimalField, F, Sum, When

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


class LearningResource(TimeStampedModel):
    """Training and educational material: a file or a link."""

    title = models.CharField(_("title"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="learning/", blank=True)
    file_content_type = models.CharField(_("file type"), max_length=100, blank=True)
    published = models.BooleanField(_("published"), default=False)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("learning resource")
        verbose_name_plural = _("learning resources")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:resource_list") + f"#resource-{self.pk}"


class Course(TimeStampedModel):
    """A course with modules; completing it may certify the person."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    certificate_title = models.CharField(
        _("certificate"), max_length=160, blank=True, help_text=_("Empty: completing it certifies nobody.")
    )
    published = models.BooleanField(_("published"), default=False)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:course_detail", args=[self.pk])


class CourseModule(TimeStampedModel):
    """One module of a course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules", verbose_name=_("course"))
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=160)
    content = models.TextField(_("content"), blank=True)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("course module")
        verbose_name_plural = _("course modules")
        constraints = [models.UniqueConstraint(fields=["course", "position"], name="%(app_label)s_%(class)s_unique_position")]

    @staticmethod
    def published_filter():
        return Q(course__published=True)

    def __str__(self):
        return f"{self.course} · {self.position}. {self.title}"

    def get_absolute_url(self):
        return self.course.get_absolute_url() + f"#module-{self.pk}"


class Enrollment(TimeStampedModel):
    """A person taking a course; completion of a certifying course counts towards 'people certified'."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("course"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("person"))
    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, null=True, blank=True, related_name="enrollments",
        verbose_name=_("distributor"), help_text=_("Empty for manufacturer staff."),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=40, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "user__username", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="%(app_label)s_%(class)s_once_per_person")]
        indexes = [models.Index(fields=["distributor", "completed_at"], name="program_enrol_dist_done_idx")]

    def __str__(self):
        return f"{self.user} · {self.course}"

    def get_absolute_url(self):
        return self.course.get_absolute_url() + f"#enrollment-{self.pk}"


class BestPracticeQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Shared stories are for everybody; drafts for manufacturer roles and their own distributor."""
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(Q(status=BestPracticeStatus.SHARED) | Q(distributor_id__in=list(principal.distributor_ids or [])))


class BestPractice(TimeStampedModel):
    """A distributor's success story that the manufacturer passes to others."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="best_practices", verbose_name=_("distributor")
    )
    title = models.CharField(_("title"), max_length=160)
    story = models.TextField(_("story"))
    lessons = models.TextField(_("what others can copy"), blank=True)
    deal = models.ForeignKey(
        "deals.Opportunity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("deal"), help_text=_("The won deal this story comes from."),
    )
    deal_reference = models.CharField(
        _("deal reference"), max_length=120, blank=True, help_text=_("Free text, e.g. the deal's number.")
    )
    status = models.CharField(_("status"), max_length=20, choices=BestPracticeStatus.choices, default=BestPracticeStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))

    objects = BestPracticeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("best practice")
        verbose_name_plural = _("best practices")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:bestpractice_detail", args=[self.pk])


class CorporateTier(TimeStampedModel):
    """A tier of the corporate program offered to key accounts: volume threshold, discount and service level."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    code = models.SlugField(
        _("code"), max_length=30, blank=True, default="",
        help_text=_("The tier code a corporate contract carries (e.g. 'gold'): links the offer to the contracts."),
    )
    min_annual_volume = models.DecimalField(_("minimum annual volume (RON)"), validators=[MinValueValidator(Decimal("0"))], **MONEY)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    service_level = models.TextField(_("service level"))
    active = models.BooleanField(_("offered"), default=True)

    objects = PublishedContentQuerySet.as_manager()
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
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="%(app_label)s_%(class)s_unique_code"),
        ]

    @staticmethod
    def published_filter():
        return Q(active=True)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("program:tier_list") + f"#tier-{self.pk}"


from .level_models import DistributorLevel, LevelChange  # noqa: E402,F401  (levels live in their own module)

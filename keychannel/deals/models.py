"""Corporate deals: opportunities and their stage history, activities, product tests, corporate contracts.

Visibility (DESIGN.md §2): a deal belongs to its distributor (or is direct, ``distributor`` empty, and then
manufacturer-only). Network-wide roles see every deal; other manufacturer roles see the distributors they
reach plus the deals where they are the mentor or the KAM; distributor users see their distributor's deals,
except on clients taken out of scope (there only the deals kept for the grace period and the active contracts). Activities, product tests and stage changes follow their deal.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.external_ids import check_free as check_external_id_free
from keychannel.core.external_ids import external_id_field, per_distributor_constraints
from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import (
    AuditedQuerySet,
    ParentScopedQuerySet,
    ReferenceQuerySet,
    ScopedQuerySet,
    in_lookup,
)

from . import rollups
from .choices import (
    OPEN_STAGES,
    ActivityKind,
    Attention,
    ContractStatus,
    LostReason,
    Origin,
    Stage,
    attention_flags,
)
from .month_totals import PipelineMonthTotal  # noqa: F401  (a model of this app)
from .rollups import PipelineRollup  # noqa: F401  (a model of this app)
from .stage_totals import PipelineStageTotal  # noqa: F401  (a model of this app)
from .tiers import CorporateTier, ServiceLevel  # noqa: F401  (models of this app)
from .won_rollups import WonClientRollup, WonDayRollup, apply_won  # noqa: F401  (models of this app)

MONEY = {"max_digits": 16, "decimal_places": 2}
DEFAULT_TIER_CODE = "standard"


def weighted(value: Decimal, probability: int) -> Decimal:
    """A deal's value weighed by its probability, to the cent: one rule for a deal and a list's row."""
    return (value * probability / 100).quantize(Decimal("0.01"))


class StageSetting(TimeStampedModel):
    """The win probability the forecast applies to every deal in one stage (configurable by the program office)."""

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, unique=True)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    guidance = models.CharField(_("what this stage means"), max_length=250, blank=True)

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["probability", "stage"]
        verbose_name = _("stage setting")
        verbose_name_plural = _("stage settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100), name="%(app_label)s_%(class)s_probability_0_100"
            )
        ]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.probability}%"

    def get_absolute_url(self):
        return reverse("deals:forecast") + f"#stage-{self.stage}"


class OpportunityQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        condition = Q(distributor_id__in=in_lookup(reach))
        if principal.is_manufacturer:
            # "mentored + assigned": the deal's own mentor and KAM see it wherever it is.
            condition |= Q(mentor_id=principal.user_id) | Q(kam_id=principal.user_id)
        qs = self.filter(condition)
        if principal.is_distributor_user:
            # A client taken out of scope: its deals leave the distributor, except those it keeps for the grace period.
            qs = qs.filter(Q(client__out_of_scope=False) | Q(kept_until__gte=timezone.localdate()))
        return qs

    def open(self):
        return self.filter(stage__in=OPEN_STAGES)

    # Writes that skip ``Opportunity.save`` keep the pipeline roll-up right too (deals/rollups.py); ``bulk_update``
    # runs ``update`` per batch.

    def update(self, **kwargs):
        if not rollups.INPUT_NAMES & set(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.order_by("pk").values_list("pk", flat=True))
            before = rollups.stored_keys(self.model, pks)  # locked: the rows are read again under the lock below
            count = 0
            for start in range(0, len(pks), 500):
                count += super(OpportunityQuerySet, self.filter(pk__in=pks[start:start + 500])).update(**kwargs)
            after = rollups.stored_keys(self.model, pks)
            rollups.apply_many((before[pk], after.get(pk)) for pk in before)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ValueError("Deals are created one by one or plainly in bulk (the pipeline roll-up counts them).")
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            rounded = [o.pk for o in created if rollups.rounded_by_the_database(o)]
            stored = rollups.stored_keys(self.model, rounded) if rounded else {}
            rollups.apply_many((None, stored.get(o.pk) or rollups.key_of(o)) for o in created)
        return created


class Opportunity(TimeStampedModel):
    """A corporate deal: from the first discussion with a client to a corporate contract (won) or a lost reason."""

    title = models.CharField(_("title"), max_length=200)
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("client")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, null=True, blank=True, related_name="opportunities",
        verbose_name=_("distributor"), help_text=_("Empty means direct: led by the manufacturer."),
    )
    external_id = external_id_field()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_opportunities", verbose_name=_("owner")
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="mentored_opportunities", verbose_name=_("mentor"),
    )
    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="kam_opportunities", verbose_name=_("embedded KAM"),
    )
    product_lines = models.ManyToManyField(
        "network.ProductLine", blank=True, related_name="opportunities", verbose_name=_("product lines")
    )
    value = models.DecimalField(_("value (RON)"), default=Decimal("0"), **MONEY)
    volume = models.DecimalField(_("volume (units a year)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="RON", editable=False)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.DISCUSSION)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, editable=False, help_text=_("Set from the stage settings on every move.")
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now, editable=False)
    lost_reason_code = models.CharField(_("why lost"), max_length=20, choices=LostReason.choices, blank=True)
    lost_reason = models.TextField(_("lost reason"), blank=True)  # the details; required with "other"
    expected_close_on = models.DateField(_("expected close"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=250, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=30, choices=Origin.choices, default=Origin.MANUAL)
    source_reference = models.CharField(
        _("source reference"), max_length=120, blank=True, help_text=_("E.g. the registration or project it came from.")
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    contract = models.ForeignKey(
        "CorporateContract", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="opportunities", verbose_name=_("corporate contract"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("created by"),
    )
    # The registration gate (docs/rules.md): a manufacturer decider let this deal past it, why and when.
    gate_override_reason = models.TextField(_("registration gate overridden because"), blank=True, editable=False)
    gate_override_rules = models.CharField(_("gate rules overridden"), max_length=200, blank=True, editable=False)
    gate_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("gate overridden by"),
    )
    gate_override_at = models.DateTimeField(_("gate overridden at"), null=True, blank=True, editable=False)
    # Product-test sign-off (docs/rules.md): a manufacturer role won this deal although its product test was
    # pending or failed, why and when.
    test_override_reason = models.TextField(_("won despite the product test because"), blank=True, editable=False)
    test_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("product test overridden by"),
    )
    test_override_at = models.DateTimeField(_("product test overridden at"), null=True, blank=True, editable=False)
    # A client taken out of scope (docs/rules.md, "Out of scope keeps running business"): the distributor keeps
    # this open deal until ``kept_until``, then it is handed over to the manufacturer-led project.
    kept_until = models.DateField(_("kept by the distributor until"), null=True, blank=True, editable=False)
    handed_over_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="handed_over_deals",
        verbose_name=_("handed over to"),
    )
    handed_over_from = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+",
        verbose_name=_("handed over by"),
    )

    objects = OpportunityQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[product_lines])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="%(app_label)s_%(class)s_value_not_negative"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="%(app_label)s_%(class)s_volume_not_negative"),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100), name="%(app_label)s_%(class)s_probability_0_100"
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.LOST) | ~Q(lost_reason_code=""),
                name="%(app_label)s_%(class)s_lost_has_reason_code",
            ),
            *per_distributor_constraints("deals_opportunity"),
        ]
        indexes = [
            models.Index(fields=["stage", "expected_close_on"], name="deals_opp_stage_close"),
            models.Index(fields=["distributor", "stage"], name="deals_opp_dist_stage"),
            models.Index(fields=["owner", "stage"], name="deals_opp_owner_stage"),
            models.Index(fields=["next_step_on"], name="deals_opp_next_step_on"),
            # The kanban's cards (most recently touched per stage) and the lists' default orders, so a page of
            # 50 out of 100k is read from an index instead of sorting every matching row.
            models.Index(fields=["stage", "-updated_at"], name="deals_opp_stage_touched"),
            models.Index(fields=["stage", "-created_at"], name="deals_opp_stage_created"),
            models.Index(fields=["distributor", "-created_at"], name="deals_opp_dist_created"),
            models.Index(fields=["expected_close_on"], name="deals_opp_close"),
            models.Index(fields=["updated_at", "id"], name="deals_opp_changes"),  # updated_since
            # The API list's default order (-created_at, -id) for the whole network: its pages and cursors.
            models.Index(fields=["-created_at", "-id"], name="deals_opp_newest"),
            # Won deals by close date (the cockpits' "won this year", the won-contracts and new-key-accounts goal
            # actuals, the latest won): read from this index alone, without visiting the deals (issue 22).
            models.Index(fields=["closed_on", "id"], name="deals_opp_won_closed", condition=Q(stage="won"),
                         include=["client", "value", "distributor"]),
        ]

    def __str__(self):
        return self.title

    # list pages build the URL of many rows from this name, reversed once (core.tables)
    detail_url_name = "deals:opportunity_detail"

    def get_absolute_url(self):
        return reverse(self.detail_url_name, args=[self.pk])

    def clean(self):
        super().clean()
        check_external_id_free(self)

    def save(self, *args, **kwargs):
        """Saved with the pipeline roll-up: the stored key is read under a row lock and the change applied."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not rollups.INPUT_NAMES & set(update_fields):
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            before = rollups.stored_keys(type(self), [self.pk]).get(self.pk) if self.pk is not None else None
            super().save(*args, **kwargs)
            after = (rollups.stored_keys(type(self), [self.pk])[self.pk] if rollups.rounded_by_the_database(self)
                     else rollups.key_of(self))
            rollups.apply(before, after)

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def is_direct(self) -> bool:
        return self.distributor_id is None

    @property
    def weighted_value(self) -> Decimal:
        return weighted(self.value, self.probability)

    def attention(self, today: datetime.date | None = None) -> list[str]:
        """Flags for open deals nobody is pushing: no next step, or its date has passed."""
        return attention_flags(self.stage, self.next_step, self.next_step_on, today)

    def attention_display(self) -> str:
        return ", ".join(str(Attention(a).label) for a in self.attention())

    def distributor_display(self) -> str:
        return self.distributor.code if self.distributor_id else str(_("direct"))


@receiver(pre_delete, sender=Opportunity, dispatch_uid="deals_rollup_delete")
def _rollup_on_delete(sender, instance, **kwargs):
    """A deleted deal leaves the pipeline roll-up (a model or a queryset delete: both send this, in their
    transaction); its stored key is read under a row lock and kept for the won roll-ups (``post_delete``)."""
    instance._rollup_key = rollups.stored_keys(sender, [instance.pk]).get(instance.pk)
    rollups.apply(instance._rollup_key, None, won=False)


@receiver(post_delete, sender=Opportunity, dispatch_uid="deals_won_rollups_delete")
def _won_rollups_on_delete(sender, instance, **kwargs):
    """The won roll-ups recount a deleted deal's client once the delete's deals are all gone (deals/won_rollups.py)."""
    apply_won([(getattr(instance, "_rollup_key", None), None)])


class StageChange(models.Model):
    """One move of a deal between stages: who, when, from, to. The first row records the stage it started in."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("opportunity")
    )
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "opportunity"  # a deal's record: visible exactly when the deal is
    history = HistoricalRecords()

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        constraints = [
            models.CheckConstraint(condition=~Q(from_stage=models.F("to_stage")), name="%(app_label)s_%(class)s_moves")
        ]

    def __str__(self):
        return f"{self.opportunity_id}: {self.from_stage or '—'} → {self.to_stage}"

    def get_absolute_url(self):
        return reverse("deals:opportunity_detail", args=[self.opportunity_id]) + "#tab-history"


class Activity(TimeStampedModel):
    """Work on a deal with people from both sides: a meeting, call, consultation, presentation or product test."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="activities", verbose_name=_("opportunity")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices, default=ActivityKind.MEETING)
    subject = models.CharField(_("subject"), max_length=200)
    occurred_on = models.DateField(_("date"))
    outcome = models.TextField(_("outcome"), blank=True)
    stakeholders = models.ManyToManyField(
        "clients.Stakeholder", blank=True, related_name="deal_activities", verbose_name=_("client participants")
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="deal_activities", verbose_name=_("our participants")
    )
    product_test = models.ForeignKey(
        "ProductTest", on_delete=models.SET_NULL, null=True, blank=True, related_name="activities",
        verbose_name=_("product test"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("logged by"),
    )

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "opportunity"  # a deal's record: visible exactly when the deal is
    history = HistoricalRecords(m2m_fields=[stakeholders, participants])

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["opportunity", "occurred_on"], name="deals_activity_opp_date")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self):
        return reverse("deals:opportunity_detail", args=[self.opportunity_id]) + f"#activity-{self.pk}"


class ContractQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        qs = self.filter(distributor_id__in=in_lookup(reach))
        if principal.is_distributor_user:
            # A client taken out of scope: an active contract runs to its end date, and its distributor sees it.
            qs = qs.filter(Q(client__out_of_scope=False) | Q(status=ContractStatus.ACTIVE))
        return qs

    def expiring_within(self, days: int, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.filter(
            status=ContractStatus.ACTIVE, ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=days)
        )


class CorporateContract(TimeStampedModel):
    """A corporate contract with a client, through a distributor or direct; created or extended by won deals."""

    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("client")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, null=True, blank=True, related_name="contracts",
        verbose_name=_("distributor"), help_text=_("Empty means direct."),
    )
    external_id = external_id_field()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="corporate_contracts",
        verbose_name=_("owner"), help_text=_("Notified before the contract expires."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    renewal_on = models.DateField(_("renewal date"), null=True, blank=True)
    volume_commitment = models.DecimalField(
        _("volume commitment (units a year)"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    value = models.DecimalField(_("contract value (RON)"), default=Decimal("0"), **MONEY)
    tier = models.ForeignKey(
        "deals.CorporateTier", to_field="code", db_column="tier", on_delete=models.PROTECT, related_name="contracts",
        verbose_name=_("corporate program tier"), default=DEFAULT_TIER_CODE,
    )
    tier_exception_reason = models.TextField(
        _("tier below its volume because"), blank=True,
        help_text=_("A manufacturer role's reason to keep a tier whose volume threshold the contract does not reach."),
    )
    tier_exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("tier exception recorded by"), editable=False,
    )
    tier_exception_at = models.DateTimeField(_("tier exception recorded at"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    ended_reason = models.TextField(_("ended early because"), blank=True, editable=False)

    objects = ContractQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["ends_on", "id"]
        verbose_name = _("corporate contract")
        verbose_name_plural = _("corporate contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="%(app_label)s_%(class)s_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(volume_commitment__gte=0, value__gte=0), name="%(app_label)s_%(class)s_amounts_not_negative"
            ),
            *per_distributor_constraints("deals_contract"),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="deals_contract_changes")]  # updated_since

    def __str__(self):
        return f"{self.client} · {self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("deals:contract_detail", args=[self.pk])

    def clean(self):
        super().clean()
        check_external_id_free(self)

    def distributor_display(self) -> str:
        return self.distributor.code if self.distributor_id else str(_("direct"))

    def days_left(self, today: datetime.date | None = None) -> int:
        return (self.ends_on - (today or timezone.localdate())).days

    def annual_volume(self) -> Decimal:
        """The committed annual volume in RON: the contract's value per year of its term (a shorter term counts as
        one year), compared with the tier's threshold."""
        days = (self.ends_on - self.starts_on).days + 1 if self.ends_on and self.starts_on else 365
        years = max(Decimal(days) / Decimal(365), Decimal(1))
        return (Decimal(self.value or 0) / years).quantize(Decimal("0.01"))


class ContractNotice(models.Model):
    """An expiry notice sent for a contract on one day (at most one per contract and day)."""

    contract = models.ForeignKey(
        CorporateContract, on_delete=models.CASCADE, related_name="notices", verbose_name=_("contract")
    )
    sent_on = models.DateField(_("sent on"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recipient"),
    )

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "contract"
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_on", "id"]
        verbose_name = _("contract notice")
        verbose_name_plural = _("contract notices")
        constraints = [
            models.UniqueConstraint(fields=["contract", "sent_on"], name="%(app_label)s_%(class)s_once_a_day")
        ]

    def __str__(self):
        return f"{self.contract_id} @ {self.sent_on}"

    def get_absolute_url(self):
        return reverse("deals:contract_detail", args=[self.contract_id])


# Product tests live in their own module; imported here so that they are models of this app.
from .product_test_models import (  # noqa: E402,F401
    ProductTest,
    ProductTestSignoff,
)

"""Rules and motivation: the published rules, their acknowledgements and the bonus ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet
from keychannel.network.models import Distributor

from ..choices import AppealStatus, LedgerKind, RuleKind, RuleStatus
from .base import MONEY, HeadScopedQuerySet, PublishedContentQuerySet
from .programs import Program


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

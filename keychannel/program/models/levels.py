"""Program levels: the tiers, their criteria, each distributor's level and its changes."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet
from keychannel.network.models import Distributor

from .base import MONEY, PUBLISHED_PROGRAM, PublishedContentQuerySet
from .programs import Program


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
        from ..metrics import METRICS  # metrics reads other apps' selectors: not while the models load

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


class DistributorLevel(TimeStampedModel):
    """The level a distributor holds in a program: what its benefits (protection, budget share) are read from.

    Kept as a record, not computed on every read, so that a benefit does not flicker with each new data point:
    it changes only when qualification is recomputed (daily, or on demand), and each change is in LevelChange.
    """

    program = models.ForeignKey("program.Program", on_delete=models.CASCADE, related_name="distributor_levels",
                                verbose_name=_("program"))
    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="program_levels",
                                    verbose_name=_("distributor"))
    level = models.ForeignKey("program.ProgramLevel", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="holders", verbose_name=_("level"))
    since = models.DateField(_("since"))

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "distributor__code", "id"]
        verbose_name = _("distributor level")
        verbose_name_plural = _("distributor levels")
        constraints = [models.UniqueConstraint(fields=["program", "distributor"],
                                               name="%(app_label)s_%(class)s_one_per_program")]

    def __str__(self):
        return f"{self.distributor.code} · {self.level or '—'}"

    def get_absolute_url(self):
        return reverse("program:distributor_overview", args=[self.distributor_id]) + "#program-level"


class LevelChange(TimeStampedModel):
    """One change of a distributor's level: from, to, when (created_at), who (empty: the scheduled job) and why."""

    program = models.ForeignKey("program.Program", on_delete=models.CASCADE, related_name="level_changes",
                                verbose_name=_("program"))
    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="level_changes",
                                    verbose_name=_("distributor"))
    from_level = models.ForeignKey("program.ProgramLevel", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("from"))
    to_level = models.ForeignKey("program.ProgramLevel", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("to"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("changed by"))
    reason = models.TextField(_("why"))

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")

    def __str__(self):
        return f"{self.distributor.code}: {self.from_level or '—'} → {self.to_level or '—'}"

    def get_absolute_url(self):
        return reverse("program:distributor_overview", args=[self.distributor_id]) + "#level-history"

"""Where each distributor stands in a program's levels, and every change of it (who, when, from, to, why)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet
from keychannel.network.models import Distributor


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

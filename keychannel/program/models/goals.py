"""Goals cascaded from the program to distributors, and their milestones."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, ParentScopedQuerySet, ScopedQuerySet, in_lookup
from keychannel.network.models import Distributor

from ..choices import GoalLevel
from .base import MONEY, PUBLISHED_PROGRAM
from .programs import Program


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
            return self.filter(Q(distributor__isnull=True) | Q(distributor_id__in=in_lookup(reach)))
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
    # The status last announced (goal.status_changed), kept by program/goal_status.py; the live one is computed.
    reported_status = models.CharField(_("reported status"), max_length=20, blank=True, editable=False)

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
        from ..metrics import METRICS  # metrics reads other apps' selectors: not while the models load

        metric = METRICS.get(self.metric)
        return metric.label if metric else self.metric


class Milestone(TimeStampedModel):
    """An expected result with a date, on the way to a goal."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("goal"))
    title = models.CharField(_("title"), max_length=160)
    expected_result = models.TextField(_("expected result"))
    due_on = models.DateField(_("due on"))
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)

    distributor_path = "goal__distributor"
    objects = ParentScopedQuerySet.as_manager()
    parent_path = "goal"  # a goal's milestone: visible exactly when the goal is
    history = HistoricalRecords()

    class Meta:
        ordering = ["goal", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.goal.get_absolute_url() + f"#milestone-{self.pk}"

"""The program itself, run as a project: its strategy, period, version and the executives' sign-off."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import ManufacturerOnlyQuerySet

from ..choices import ProgramStatus, SignoffDecision
from .base import PUBLISHED_PROGRAM, PublishedContentQuerySet


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

"""Competence centre and combined channel: mentors over distributors, KAMs stationed at a distributor."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet


class ActivePeriodQuerySet(DistributorScopedQuerySet):
    def active_on(self, day=None):
        day = day or timezone.localdate()
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class Mentorship(TimeStampedModel):
    """A manufacturer mentor assigned to a distributor for a period (competence centralisation, fig. 1)."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentorships", verbose_name=_("mentor")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="mentorships", verbose_name=_("distributor")
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    focus = models.TextField(_("focus"), blank=True)

    objects = ActivePeriodQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.mentor} → {self.distributor.code}"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.distributor_id])


class EmbeddedAssignment(TimeStampedModel):
    """A manufacturer-employed KAM stationed at one distributor for a period (combined channel, fig. 2)."""

    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="embedded_assignments",
        verbose_name=_("key-account manager"),
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="embedded_assignments",
        verbose_name=_("distributor"),
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    charter = models.TextField(_("charter"), blank=True, help_text=_("How the four duties apply at this distributor."))

    objects = ActivePeriodQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("embedded assignment")
        verbose_name_plural = _("embedded assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.kam} @ {self.distributor.code}"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.distributor_id])

    def clean(self):
        from keychannel.core.choices import Role

        membership = getattr(self.kam, "membership", None) if self.kam_id else None
        if membership is not None and membership.role != Role.EMBEDDED_KAM:
            raise ValidationError({"kam": _("Only an embedded key-account manager can be stationed.")})

"""A distributor head's request to change its coverage, decided by its channel manager (issue 16)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import DistributorScopedQuerySet


class CoverageRequestKind(models.TextChoices):
    ADD = "add", _("Cover a territory and product line")
    END = "end", _("End a coverage")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CoverageRequest(TimeStampedModel):
    """What the head asks for, why, and what its channel manager decided; an approval changes the coverage."""

    distributor = models.ForeignKey("network.Distributor", on_delete=models.CASCADE, related_name="coverage_requests",
                                    verbose_name=_("distributor"))
    kind = models.CharField(_("request"), max_length=10, choices=CoverageRequestKind.choices)
    territory = models.ForeignKey("network.Territory", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("territory"))
    product_line = models.ForeignKey("network.ProductLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("product line"))
    valid_from = models.DateField(_("from"), null=True, blank=True)
    valid_to = models.DateField(_("until"), null=True, blank=True)
    coverage = models.ForeignKey("network.Coverage", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="requests", verbose_name=_("coverage"),
                                 help_text=_("The coverage to end, or the one the approval made."))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                     verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("coverage request")
        verbose_name_plural = _("coverage requests")

    def __str__(self):
        return f"{self.distributor.code} · {self.get_kind_display()} · {self.get_status_display()}"

    def get_absolute_url(self):
        return reverse("network:coverage_request_list") + f"#request-{self.pk}"

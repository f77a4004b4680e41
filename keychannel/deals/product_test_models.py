"""Models of a product test at the client (the plan, what was lent, the criteria, the result) and of its
sign-offs. models.py imports them at its end, so they are models of the deals app as before."""


from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import ParentScopedQuerySet

from .choices import (
    SignoffKind,
    TestResult,
)
from .models import Opportunity  # models.py imports this module at its end, after Opportunity


class ProductTest(TimeStampedModel):
    """A product test at the client: the plan, what was lent, the criteria, who signs it off, and the result."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="product_tests", verbose_name=_("opportunity")
    )
    title = models.CharField(_("title"), max_length=200)
    plan = models.TextField(_("test plan"), blank=True)
    samples = models.TextField(_("samples / loan units"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    success_criteria = models.TextField(_("success criteria"))
    signoff_stakeholders = models.ManyToManyField(
        "clients.Stakeholder", blank=True, related_name="product_test_signoffs",
        verbose_name=_("stakeholders who sign the result off"),
    )
    result = models.CharField(_("result"), max_length=10, choices=TestResult.choices, default=TestResult.PENDING)
    result_notes = models.TextField(_("result notes"), blank=True)
    decided_on = models.DateField(_("result decided on"), null=True, blank=True)
    # What the test said about its sign-off before approvals were recorded (migration 0006): kept, not trusted.
    legacy_signoff_note = models.TextField(_("earlier sign-off (before recorded approvals)"), blank=True,
                                           editable=False)
    contract = models.ForeignKey(
        "CorporateContract", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="product_tests", verbose_name=_("contract decision"),
        help_text=_("The corporate contract this test led to (set when the deal is won)."),
    )

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "opportunity"  # a deal's record: visible exactly when the deal is
    history = HistoricalRecords(m2m_fields=[signoff_stakeholders])

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("product test")
        verbose_name_plural = _("product tests")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(result=TestResult.PENDING) | Q(decided_on__isnull=False),
                name="%(app_label)s_%(class)s_decided_has_date",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("deals:opportunity_detail", args=[self.opportunity_id]) + f"#product-test-{self.pk}"


class ProductTestSignoff(models.Model):
    """One approval of a product test's result: a client stakeholder's (recorded by whoever heard it) or a
    manufacturer role's own sign-off. Kept, with who recorded it and when (docs/rules.md, "Product-test sign-off")."""

    product_test = models.ForeignKey(
        ProductTest, on_delete=models.CASCADE, related_name="signoffs", verbose_name=_("product test")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SignoffKind.choices)
    stakeholder = models.ForeignKey(
        "clients.Stakeholder", on_delete=models.PROTECT, null=True, blank=True, related_name="product_test_approvals",
        verbose_name=_("client stakeholder"),
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("signed by (manufacturer)"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "product_test__opportunity"  # a sign-off follows its test, which follows its deal
    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("product test sign-off")
        verbose_name_plural = _("product test sign-offs")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=SignoffKind.STAKEHOLDER, stakeholder__isnull=False, signed_by__isnull=True)
                           | Q(kind=SignoffKind.MANUFACTURER, stakeholder__isnull=True, signed_by__isnull=False)),
                name="%(app_label)s_%(class)s_kind_fields",
            ),
            models.UniqueConstraint(fields=["product_test", "stakeholder"], condition=Q(kind=SignoffKind.STAKEHOLDER),
                                    name="%(app_label)s_%(class)s_stakeholder_once"),
            models.UniqueConstraint(fields=["product_test", "signed_by"], condition=Q(kind=SignoffKind.MANUFACTURER),
                                    name="%(app_label)s_%(class)s_signer_once"),
        ]

    def __str__(self):
        who = self.stakeholder if self.kind == SignoffKind.STAKEHOLDER else self.signed_by
        return f"{self.product_test_id}: {self.get_kind_display()} · {who}"

    def get_absolute_url(self):
        return reverse("deals:opportunity_detail", args=[self.product_test.opportunity_id]) + \
            f"#product-test-{self.product_test_id}"

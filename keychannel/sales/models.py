"""Sell-out data: distributors' sales reports and their lines, the mappings that read them, client segments
and client surveys (DESIGN.md §3, sales)."""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.signals import pre_delete
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, DistributorScopedQuerySet, ScopedQuerySet, in_lookup
from keychannel.jobs.models import LeasedJob

from . import rollups
from .choices import (
    AbcClass,
    AnswerChannel,
    NpsClass,
    ReportSource,
    ReportStatus,
    SegmentLabel,
    WhyChose,
    WillContinue,
)
from .rollups import SalesRollup  # noqa: F401  (a model of this app)
from .segment_totals import SegmentClassTotal  # noqa: F401  (a model of this app)


class ColumnMapping(TimeStampedModel):
    """A distributor's saved template: which column of their file holds which of our fields."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="column_mappings", verbose_name=_("distributor")
    )
    name = models.CharField(_("name"), max_length=80)
    columns = models.JSONField(_("columns"), default=dict, help_text=_("Our field → the file's header."))
    is_default = models.BooleanField(_("used by default"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor", "-is_default", "name"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self):
        return f"{self.distributor.code}: {self.name}"

    def get_absolute_url(self):
        return reverse("sales:mapping_list") + f"?distributor={self.distributor_id}#mapping-{self.pk}"


class ProductMapping(TimeStampedModel):
    """A distributor's product code (as it appears in their reports) → our product line."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="product_mappings", verbose_name=_("distributor")
    )
    product_code = models.CharField(_("product code"), max_length=60)
    product_line = models.ForeignKey(
        "network.ProductLine", on_delete=models.PROTECT, related_name="+", verbose_name=_("product line")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor", "product_code"]
        verbose_name = _("product code mapping")
        verbose_name_plural = _("product code mappings")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "product_code"], name="%(app_label)s_%(class)s_unique_code"),
        ]

    def __str__(self):
        return f"{self.product_code} → {self.product_line}"

    def get_absolute_url(self):
        return reverse("sales:mapping_list") + f"?distributor={self.distributor_id}#product-{self.pk}"


class ClientMapping(TimeStampedModel):
    """An unmatched tax id / client code in a distributor's reports, resolved to one of our clients."""

    part_of = ("client",)  # core.deletion: the distributor's own import setting goes with the client

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="client_mappings", verbose_name=_("distributor")
    )
    source_key = models.CharField(_("tax id or client code in the file"), max_length=60)
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor", "source_key"]
        verbose_name = _("client mapping")
        verbose_name_plural = _("client mappings")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "source_key"], name="%(app_label)s_%(class)s_unique_key"),
        ]

    def __str__(self):
        return f"{self.source_key} → {self.client}"

    def get_absolute_url(self):
        return reverse("sales:mapping_list") + f"?distributor={self.distributor_id}"


def report_period_label(period: date | None) -> str:
    """``SalesReport.period_label`` from its column, for the API list's value rows (sales/selectors.py)."""
    return period.strftime("%Y-%m") if period else ""


class SalesReport(TimeStampedModel):
    """One sell-out file (or API batch) of one distributor for one month. It applies whole or not at all."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, related_name="sales_reports", verbose_name=_("distributor")
    )
    period = models.DateField(_("period"), null=True, blank=True, help_text=_("First day of the month reported."))
    file_name = models.CharField(_("file name"), max_length=200)
    file_hash = models.CharField(_("content hash (SHA-256)"), max_length=64, db_index=True)
    content = models.BinaryField(_("file content"), editable=False)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=4, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ReportSource.choices, default=ReportSource.UPLOAD)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, db_index=True)
    headers = models.JSONField(_("headers in the file"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping used"), default=dict, blank=True)
    mapping_template = models.ForeignKey(
        ColumnMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports",
        verbose_name=_("mapping template"),
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    line_count = models.PositiveIntegerField(_("lines imported"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    unmatched_clients = models.JSONField(_("unmatched clients"), default=list, blank=True)
    unknown_products = models.JSONField(_("unknown product codes"), default=list, blank=True)
    total_amount = models.DecimalField(_("total amount"), max_digits=18, decimal_places=2, default=0)
    total_quantity = models.DecimalField(_("total quantity"), max_digits=18, decimal_places=3, default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("uploaded by"),
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["content", "errors", "headers"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sales report")
        verbose_name_plural = _("sales reports")
        constraints = [
            # The one rule that keeps totals right: one applied report per distributor and month, one per file.
            models.UniqueConstraint(
                fields=["distributor", "period"], condition=models.Q(status="applied"),
                name="%(app_label)s_%(class)s_one_applied_per_period",
            ),
            models.UniqueConstraint(
                fields=["distributor", "file_hash"], condition=models.Q(status="applied"),
                name="%(app_label)s_%(class)s_one_applied_per_file",
            ),
        ]
        indexes = [models.Index(fields=["distributor", "period"], name="sales_report_dist_period")]

    def __str__(self):
        period = self.period.strftime("%Y-%m") if self.period else "—"
        return f"{self.distributor.code} {period} · {self.file_name}"

    def get_absolute_url(self):
        return reverse("sales:report_detail", args=[self.pk])

    @property
    def period_label(self) -> str:
        return report_period_label(self.period)

    @property
    def is_applied(self) -> bool:
        return self.status == ReportStatus.APPLIED

    def save(self, *args, **kwargs):
        """Entering or leaving "applied" adds or takes out the report's lines in the sales roll-up (sales/rollups.py),
        read under a lock of this report's row."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" not in update_fields:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            was_applied = False
            if not self._state.adding and self.pk is not None:
                was_applied = SalesReport._base_manager.select_for_update().filter(
                    pk=self.pk, status=ReportStatus.APPLIED).exists()
            super().save(*args, **kwargs)
            counted = self.__dict__.pop("lines_counted", None)  # set by the import (services._process)
            if was_applied != self.is_applied:
                rollups.report_lines(self.pk, +1 if self.is_applied else -1, counted if self.is_applied else None)


class ImportJob(LeasedJob):
    """An uploaded file waiting for, or being read by, a background worker (docs/sales.md, "Imports in the
    background"). When it is done, ``report`` is the sales report it produced (applied, rejected, waiting or
    duplicate); the file then lives on the report (if kept) and no longer here."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("distributor")
    )
    file_name = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("file content"), editable=False)
    period = models.CharField(_("period"), max_length=7, blank=True)
    mapping_name = models.CharField(_("column mapping"), max_length=80, blank=True)
    supersede = models.BooleanField(_("replace an applied report"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=ReportSource.choices, default=ReportSource.UPLOAD)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("uploaded by"),
    )
    report = models.ForeignKey(
        SalesReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_jobs",
        verbose_name=_("report"),
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["content", "claim_token", "lease_until", "progress_done",
                                                 "progress_total"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sales import")
        verbose_name_plural = _("sales imports")

    def __str__(self):
        return f"{self.distributor.code} · {self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("sales:import_detail", args=[self.pk])


class SalesLine(models.Model):
    CHANGE_TIME_FIELD = "report__applied_at"  # updated_since (core/pagination.py): lines come and go with their report
    """One invoice line of an applied report. Not audited line by line: the report is the audit unit."""

    report = models.ForeignKey(SalesReport, on_delete=models.CASCADE, related_name="lines", verbose_name=_("report"))
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="sales_lines", verbose_name=_("client")
    )
    product_line = models.ForeignKey(
        "network.ProductLine", on_delete=models.PROTECT, related_name="+", verbose_name=_("product line")
    )
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="RON")
    invoice = models.CharField(_("invoice"), max_length=60, blank=True)
    row = models.PositiveIntegerField(_("row in the file"), default=0)

    objects = DistributorScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("sales line")
        verbose_name_plural = _("sales lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="%(app_label)s_%(class)s_quantity_not_negative"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="%(app_label)s_%(class)s_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["distributor", "date"], name="sales_line_dist_date"),
            models.Index(fields=["client", "date"], name="sales_line_client_date"),
            # The list's order network-wide: the newest lines of millions are read off the index, not sorted.
            models.Index(fields=["-date", "-id"], name="sales_line_newest"),
        ]

    def __str__(self):
        return f"{self.date} {self.client_id} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        """One line saved (the admin, the demo, tests): the sales roll-up takes the difference. The import writes
        its lines in bulk before it applies the report, which adds them all (SalesReport.save)."""
        with transaction.atomic():
            before = None if self._state.adding or self.pk is None else self._counted()
            super().save(*args, **kwargs)
            after = self._counted()
            if before != after:
                rollups.line_changed(before, after)

    def get_absolute_url(self):
        return reverse("sales:report_detail", args=[self.report_id]) + f"#row-{self.row}"

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            before = self._counted()
            result = super().delete(*args, **kwargs)
            if before is not None:
                rollups.line_changed(before, None)
        return result

    def _counted(self):
        """(distributor_id, date, amount) as stored, when the line's report is applied (it counts in the roll-up)."""
        return SalesLine._base_manager.filter(pk=self.pk, report__status=ReportStatus.APPLIED).values_list(
            "distributor_id", "date", "amount").first()


def _report_deleted(sender, instance, **kwargs):
    """An applied report deleted (a model or a queryset delete): its lines leave the sales roll-up first."""
    if instance.status == ReportStatus.APPLIED:
        rollups.report_lines(instance.pk, -1)


pre_delete.connect(_report_deleted, sender=SalesReport, dispatch_uid="sales_rollup_report_deleted")


class ClientSegment(TimeStampedModel):
    """The stored roll-up of one client's purchases through one distributor in one calendar year.

    Written in bulk by the recompute (hundreds of thousands of rows), so it carries only the indexes its pages
    and the recompute read: the (distributor, client, year) key, (distributor, year, label), the list's order
    and the client.
    """

    part_of = ("client",)  # core.deletion: derived from sales, recomputed

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # No database constraint on the two keys: a constraint checks every written segment one by one at commit
    # (two look-ups and a row lock each, 85k for a from-empty recompute at scale 0.1: as much as the aggregate
    # itself). The recompute, the only writer, takes the same locks in one statement instead and writes only keys
    # of existing clients (segmentation.recompute); deletes still cascade (Django's collector).
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="client_segments", verbose_name=_("distributor"),
        db_index=False,  # the unique (distributor, client, year) key serves look-ups by distributor
        db_constraint=False,
    )
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.CASCADE, related_name="segments", verbose_name=_("client"),
        db_constraint=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    volume = models.DecimalField(_("volume (RON)"), max_digits=18, decimal_places=2, default=0)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3, default=0)
    previous_volume = models.DecimalField(_("same months last year"), max_digits=18, decimal_places=2, default=0)
    trend = models.DecimalField(_("year-over-year trend"), max_digits=9, decimal_places=4, null=True, blank=True)
    months_active = models.PositiveSmallIntegerField(_("months with purchases"), default=0)
    months_covered = models.PositiveSmallIntegerField(_("months reported"), default=0)
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("days since last purchase"), null=True, blank=True)
    share_of_potential = models.DecimalField(
        _("share of potential"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    small_batches = models.BooleanField(_("small batches"), default=False)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    nps_class = models.CharField(_("NPS class"), max_length=10, choices=NpsClass.choices, default=NpsClass.NONE)
    recommend = models.PositiveSmallIntegerField(_("would recommend (0–10)"), null=True, blank=True)
    label = models.CharField(_("segment"), max_length=10, choices=SegmentLabel.choices)

    objects = DistributorScopedQuerySet.as_manager()
    # The audit rows are looked up by segment (id) and date only; other indexes would slow every recompute.
    history = HistoricalRecords(no_db_index=["created_at", "distributor", "client", "small_batches", "label"])

    class Meta:
        ordering = ["-year", "-volume", "id"]
        verbose_name = _("client segment")
        verbose_name_plural = _("client segments")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "client", "year"], name="%(app_label)s_%(class)s_unique_year"),
        ]
        indexes = [
            models.Index(fields=["distributor", "year", "label"], name="sales_segment_dist_year"),
            # The list's order: the first page of a network-wide year is read off the index, not sorted.
            models.Index(fields=["-year", "-volume", "id"], name="sales_segment_year_volume"),
        ]

    def __str__(self):
        return f"{self.client} · {self.year} · {self.get_label_display()}"

    @property
    def trend_label(self) -> str:
        """The year-over-year trend as the segments table shows it ("+12 %", "—")."""
        return f"{self.trend * 100:+.0f} %" if self.trend is not None else "—"

    @property
    def share_label(self) -> str:
        """The share of potential as the segments table shows it, "⚠" when bought in small batches."""
        from .selectors import share_of_potential_label  # local: selectors import the models

        label = share_of_potential_label(self.share_of_potential)
        return label + " ⚠" if self.small_batches else label

    def get_absolute_url(self):
        return reverse("sales:segment_list") + f"?year={self.year}&distributor={self.distributor_id}"


class SurveyQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Network-wide campaigns are seen by network-wide roles; a distributor's campaign by whoever reaches it."""
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        return self.filter(distributor_id__in=in_lookup(reach))


class Survey(TimeStampedModel):
    """A survey campaign to client contacts; each invitation carries its own tokenised public link."""

    owned_by_manufacturer = True  # core.deletion: the client's answers are not the distributor's to delete

    name = models.CharField(_("name"), max_length=150)
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, null=True, blank=True, related_name="surveys",
        verbose_name=_("distributor"), help_text=_("Empty: a network-wide campaign run by the manufacturer."),
    )
    intro = models.TextField(_("introduction"), blank=True)
    closes_on = models.DateField(_("links expire on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SurveyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("sales:survey_detail", args=[self.pk])


class SurveyInvitation(TimeStampedModel):
    """One client contact's link to a survey. Only the SHA-256 of the token is stored."""

    owned_by_manufacturer = True

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey"))
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="survey_invitations", verbose_name=_("client")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("distributor"),
    )
    contact_name = models.CharField(_("contact"), max_length=150)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = DistributorScopedQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "contact_name", "id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")

    def __str__(self):
        return f"{self.contact_name} ({self.client})"

    def get_absolute_url(self):
        return reverse("sales:survey_detail", args=[self.survey_id]) + f"#invitation-{self.pk}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SurveyResponse(TimeStampedModel):
    """A client contact's answers. One per invitation (the database says so)."""

    owned_by_manufacturer = True

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response", verbose_name=_("invitation")
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey"))
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("client")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("distributor"),
    )
    why_chose = models.CharField(_("why they chose our products"), max_length=15, choices=WhyChose.choices)
    expected_volume = models.DecimalField(
        _("expected volume next year (RON)"), max_digits=16, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    will_continue = models.CharField(_("will continue buying"), max_length=5, choices=WillContinue.choices)
    recommend = models.PositiveSmallIntegerField(
        _("would recommend (0–10)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    # An answer given by phone or at a meeting is recorded by a staff member (sales/survey_answers.py).
    channel = models.CharField(_("answered"), max_length=10, choices=AnswerChannel.choices, default=AnswerChannel.WEB)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recommend__gte=0, recommend__lte=10), name="%(app_label)s_%(class)s_recommend_range"
            ),
        ]

    def __str__(self):
        return f"{self.client} · {self.recommend}/10"

    def get_absolute_url(self):
        return reverse("sales:survey_detail", args=[self.survey_id]) + f"#response-{self.pk}"

    @property
    def nps_class(self) -> str:
        return nps_class_of(self.recommend)


def nps_class_of(score: int | None) -> str:
    if score is None:
        return NpsClass.NONE
    if score >= 9:
        return NpsClass.PROMOTER
    if score >= 7:
        return NpsClass.PASSIVE
    return NpsClass.DETRACTOR

"""Learning: resources, courses with modules and enrollments, and best practices."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import AuditedQuerySet, DistributorScopedQuerySet, ScopedQuerySet, in_lookup
from keychannel.network.models import Distributor

from ..choices import BestPracticeStatus, ResourceKind
from .base import PublishedContentQuerySet


class LearningResource(TimeStampedModel):
    """Training and educational material: a file or a link."""

    title = models.CharField(_("title"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="learning/", blank=True)
    file_content_type = models.CharField(_("file type"), max_length=100, blank=True)
    published = models.BooleanField(_("published"), default=False)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("learning resource")
        verbose_name_plural = _("learning resources")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:course_list") + f"#resource-{self.pk}"


class Course(TimeStampedModel):
    """A course with modules; completing it may certify the person."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    certificate_title = models.CharField(
        _("certificate"), max_length=160, blank=True, help_text=_("Empty: completing it certifies nobody.")
    )
    published = models.BooleanField(_("published"), default=False)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:course_detail", args=[self.pk])


class CourseModule(TimeStampedModel):
    """One module of a course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules", verbose_name=_("course"))
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=160)
    content = models.TextField(_("content"), blank=True)

    objects = PublishedContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("course module")
        verbose_name_plural = _("course modules")
        constraints = [models.UniqueConstraint(fields=["course", "position"], name="%(app_label)s_%(class)s_unique_position")]

    @staticmethod
    def published_filter():
        return Q(course__published=True)

    def __str__(self):
        return f"{self.course} · {self.position}. {self.title}"

    def get_absolute_url(self):
        return self.course.get_absolute_url() + f"#module-{self.pk}"


class Enrollment(TimeStampedModel):
    """A person taking a course; completion of a certifying course counts towards 'people certified'."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("course"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("person"))
    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, null=True, blank=True, related_name="enrollments",
        verbose_name=_("distributor"), help_text=_("Empty for manufacturer staff."),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=40, blank=True)

    objects = DistributorScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "user__username", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="%(app_label)s_%(class)s_once_per_person")]
        indexes = [models.Index(fields=["distributor", "completed_at"], name="program_enrol_dist_done_idx")]

    def __str__(self):
        return f"{self.user} · {self.course}"

    def get_absolute_url(self):
        return self.course.get_absolute_url() + f"#enrollment-{self.pk}"


class BestPracticeQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Shared stories are for everybody; drafts for manufacturer roles and their own distributor."""
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(Q(status=BestPracticeStatus.SHARED) | Q(distributor_id__in=in_lookup(principal.distributor_ids or ())))


class BestPractice(TimeStampedModel):
    """A distributor's success story that the manufacturer passes to others."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="best_practices", verbose_name=_("distributor")
    )
    title = models.CharField(_("title"), max_length=160)
    story = models.TextField(_("story"))
    lessons = models.TextField(_("what others can copy"), blank=True)
    deal = models.ForeignKey(
        "deals.Opportunity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("deal"), help_text=_("The won deal this story comes from."),
    )
    deal_reference = models.CharField(
        _("deal reference"), max_length=120, blank=True, help_text=_("Free text, e.g. the deal's number.")
    )
    status = models.CharField(_("status"), max_length=20, choices=BestPracticeStatus.choices, default=BestPracticeStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))

    objects = BestPracticeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("best practice")
        verbose_name_plural = _("best practices")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:bestpractice_detail", args=[self.pk])

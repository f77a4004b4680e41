"""Models of the readiness assessment (questionnaire, questions, assessments, answers, action items) and of the
compliance reviews of large distributors. models.py imports them, so they are models of the network app as before."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keychannel.core.models import TimeStampedModel
from keychannel.core.scoping import (
    ReferenceQuerySet,
)

from .choices import ActionStatus, ReviewStatus
from .models import (  # models.py imports this module at its end, after these
    Distributor,
    DistributorDataQuerySet,
)

# --- readiness ----------------------------------------------------------------------------------------------------


class ReadinessQuestionnaire(TimeStampedModel):
    """One version of the readiness questionnaire; assessments keep the version they answered."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=160)
    introduction = models.TextField(_("introduction"), blank=True)
    active = models.BooleanField(_("in use"), default=True)

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("readiness questionnaire")
        verbose_name_plural = _("readiness questionnaires")

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("network:distributor_list")


class ReadinessQuestion(TimeStampedModel):
    """A question answered 0 (not at all) … 4 (fully)."""

    questionnaire = models.ForeignKey(
        ReadinessQuestionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name=_("questionnaire")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40)
    text = models.CharField(_("question"), max_length=250)
    help_text = models.CharField(_("help"), max_length=250, blank=True)

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "position", "id"]
        verbose_name = _("readiness question")
        verbose_name_plural = _("readiness questions")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="%(app_label)s_%(class)s_unique_code"),
        ]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        return self.questionnaire.get_absolute_url()


class ReadinessAssessment(TimeStampedModel):
    """A distributor's readiness for key-account work at one date: answers → score 0–100 → action plan."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="readiness_assessments", verbose_name=_("distributor")
    )
    questionnaire = models.ForeignKey(
        ReadinessQuestionnaire, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("questionnaire")
    )
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assessed by"),
    )
    score = models.PositiveSmallIntegerField(_("score (0–100)"), validators=[MaxValueValidator(100)])
    summary = models.TextField(_("summary"), blank=True)

    objects = DistributorDataQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor__code", "-assessed_on", "-id"]
        verbose_name = _("readiness assessment")
        verbose_name_plural = _("readiness assessments")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "assessed_on"], name="%(app_label)s_%(class)s_one_per_day"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="%(app_label)s_%(class)s_score_range"),
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.assessed_on} · {self.score}"

    def get_absolute_url(self):
        return reverse("network:readiness_detail", args=[self.pk])


class ReadinessAnswer(TimeStampedModel):
    """One answer (0–4) of an assessment."""

    assessment = models.ForeignKey(
        ReadinessAssessment, on_delete=models.CASCADE, related_name="answers", verbose_name=_("assessment")
    )
    question = models.ForeignKey(
        ReadinessQuestion, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    value = models.PositiveSmallIntegerField(_("answer (0–4)"), validators=[MaxValueValidator(4)])
    comment = models.CharField(_("comment"), max_length=250, blank=True)

    distributor_path = "assessment__distributor"
    objects = DistributorDataQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["assessment", "question__position", "id"]
        verbose_name = _("readiness answer")
        verbose_name_plural = _("readiness answers")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="%(app_label)s_%(class)s_one_per_question"),
            models.CheckConstraint(condition=models.Q(value__lte=4), name="%(app_label)s_%(class)s_value_range"),
        ]

    def __str__(self):
        return f"{self.question.code}: {self.value}"

    def get_absolute_url(self):
        return self.assessment.get_absolute_url()


class ActionItem(TimeStampedModel):
    """One step of the action plan that follows an assessment."""

    assessment = models.ForeignKey(
        ReadinessAssessment, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("assessment")
    )
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="readiness_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)

    distributor_path = "assessment__distributor"
    objects = DistributorDataQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["assessment", "due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.assessment.get_absolute_url()


# --- control of large distributors ------------------------------------------------------------------------------


class ComplianceReview(TimeStampedModel):
    """A periodic review of how a large distributor follows the strategy: findings, agreed actions, follow-up."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.CASCADE, related_name="compliance_reviews", verbose_name=_("distributor")
    )
    reviewed_on = models.DateField(_("review date"))
    period = models.CharField(_("period"), max_length=40, help_text=_("e.g. 2026 H1"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("reviewer"),
    )
    status = models.CharField(_("status"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED)
    findings = models.TextField(_("findings"), blank=True)
    agreed_actions = models.TextField(_("agreed actions"), blank=True)
    follow_up_on = models.DateField(_("follow-up on"), null=True, blank=True)
    follow_up_notes = models.TextField(_("follow-up notes"), blank=True)

    objects = DistributorDataQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["distributor__code", "-reviewed_on", "-id"]
        verbose_name = _("compliance review")
        verbose_name_plural = _("compliance reviews")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "period"], name="%(app_label)s_%(class)s_one_per_period"),
        ]

    def __str__(self):
        return f"{self.distributor.code} · {self.period}"

    def get_absolute_url(self):
        return reverse("network:distributor_detail", args=[self.distributor_id]) + "#tab-reviews"

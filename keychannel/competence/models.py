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
from keychannel.core.scoping import (
    AuditedQuerySet,
    DistributorScopedQuerySet,
    ParentScopedQuerySet,
    ScopedQuerySet,
    in_lookup,
)

from .choices import ConsultationStatus, KamDuty, MentorshipScope, TaskPriority, TaskStatus


class ActivePeriodQuerySet(DistributorScopedQuerySet):
    def active_on(self, day=None):
        day = day or timezone.localdate()
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class MentorshipQuerySet(ActivePeriodQuerySet):
    def visible_to(self, principal):
        """Distributor data as usual, plus a mentor's own mentorships (a deal mentorship gives no distributor reach)."""
        qs = super().visible_to(principal)
        if principal.is_authenticated and principal.is_manufacturer and principal.distributor_ids is not None:
            qs = qs | self.filter(mentor_id=principal.user_id)
        return qs


class Mentorship(TimeStampedModel):
    """A manufacturer mentor assigned to a distributor, one of its clients, or one deal, for a period
    (competence centralisation, fig. 1). Distributor and client mentorships give the mentor the distributor's
    reach; a deal mentorship only the deal (through the deal's own mentor field)."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentorships", verbose_name=_("mentor")
    )
    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="mentorships", verbose_name=_("distributor")
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    focus = models.TextField(_("focus"), blank=True)
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, null=True, blank=True, related_name="mentorships",
        verbose_name=_("client"), help_text=_("Empty: the mentor coaches the whole distributor."),
    )
    opportunity = models.ForeignKey(
        "deals.Opportunity", on_delete=models.CASCADE, null=True, blank=True, related_name="mentorships",
        verbose_name=_("deal"), help_text=_("Set: the mentor coaches this one deal."),
    )

    objects = MentorshipQuerySet.as_manager()
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
        target = (self.opportunity.title if self.opportunity_id else self.client.legal_name if self.client_id
                  else self.distributor.code)
        return f"{self.mentor} → {target}"

    def get_absolute_url(self):
        return reverse("competence:mentorship_detail", args=[self.pk])

    @property
    def scope(self) -> str:
        if self.opportunity_id:
            return MentorshipScope.DEAL
        return MentorshipScope.CLIENT if self.client_id else MentorshipScope.DISTRIBUTOR

    def get_scope_display(self) -> str:
        return str(MentorshipScope(self.scope).label)

    def is_active_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)

    def clean(self):
        from keychannel.core.choices import Role

        membership = getattr(self.mentor, "membership", None) if self.mentor_id else None
        if membership is not None and membership.role != Role.MENTOR:
            raise ValidationError({"mentor": _("Choose a mentor.")})
        if self.client_id and self.distributor_id and self.client.distributor_id != self.distributor_id:
            raise ValidationError({"client": _("The client is not served by this distributor.")})
        if self.opportunity_id and self.distributor_id and self.opportunity.distributor_id != self.distributor_id:
            raise ValidationError({"opportunity": _("The deal is not this distributor's.")})


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
        return reverse("competence:assignment_detail", args=[self.pk])

    def is_active_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)

    @staticmethod
    def duties():
        """The charter's fixed part: the four duties every stationed KAM carries."""
        return KamDuty.choices

    def clean(self):
        from keychannel.core.choices import Role

        membership = getattr(self.kam, "membership", None) if self.kam_id else None
        if membership is not None and membership.role != Role.EMBEDDED_KAM:
            raise ValidationError({"kam": _("Only an embedded key-account manager can be stationed.")})


class CoachingSession(TimeStampedModel):
    """One coaching session of a mentorship: who took part, what was worked on, what came out, what is next."""

    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("mentorship")
    )
    held_on = models.DateField(_("date"), default=timezone.localdate)
    participants = models.TextField(_("people"), help_text=_("Who took part, on both sides."))
    topic = models.CharField(_("topic"), max_length=200)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=250, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "mentorship"
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | Q(next_step_due__gte=models.F("held_on")),
                name="%(app_label)s_%(class)s_next_step_after_session",
            )
        ]

    def __str__(self):
        return f"{self.held_on} · {self.topic}"

    def get_absolute_url(self):
        return reverse("competence:mentorship_detail", args=[self.mentorship_id]) + f"#session-{self.pk}"


class KamTaskQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, principal):
        """Network-wide roles: all. Channel manager, mentor: their reach. KAM: own tasks.

        A distributor head reads the tasks of the KAMs stationed at their distributor today; a salesperson none.
        """
        from keychannel.core.choices import Role

        if not principal.is_authenticated:
            return self.none()
        if principal.sees_whole_network:
            return self.all()
        if principal.has_role(Role.EMBEDDED_KAM):
            return self.filter(kam_id=principal.user_id)
        if principal.has_role(Role.CHANNEL_MANAGER, Role.MENTOR):
            return self.filter(distributor_id__in=in_lookup(principal.distributor_ids or ()))
        if principal.has_role(Role.DIST_HEAD) and principal.own_distributor_id:
            stationed = EmbeddedAssignment.objects.active_on().filter(distributor_id=principal.own_distributor_id)
            return self.filter(
                distributor_id=principal.own_distributor_id, kam_id__in=stationed.values("kam_id")
            )
        return self.none()

    def open(self):
        return self.exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])


class KamTask(TimeStampedModel):
    """Work the manufacturer gives a stationed KAM, typed by the duty it serves. Only the manufacturer sets tasks."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="kam_tasks", verbose_name=_("distributor")
    )
    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kam_tasks",
        verbose_name=_("key-account manager"),
    )
    duty = models.CharField(_("duty"), max_length=20, choices=KamDuty.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN,
                              db_index=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, null=True, blank=True, related_name="kam_tasks",
        verbose_name=_("client"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assigned by"),
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=250, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = KamTaskQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "due_on", "id"]
        verbose_name = _("KAM task")
        verbose_name_plural = _("KAM tasks")
        indexes = [models.Index(fields=["kam", "status"], name="competence_task_kam_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="%(app_label)s_%(class)s_priority_range"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("competence:kamtask_detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in (TaskStatus.DONE, TaskStatus.CANCELLED)


class KamTaskComment(TimeStampedModel):
    """A note on a KAM task (progress, a question, the result)."""

    task = models.ForeignKey(KamTask, on_delete=models.CASCADE, related_name="comments", verbose_name=_("task"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("comment"))

    objects = ParentScopedQuerySet.as_manager()
    parent_path = "task"
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("task comment")
        verbose_name_plural = _("task comments")

    def __str__(self):
        return f"{self.author} · {self.created_at:%Y-%m-%d}" if self.created_at else str(self.author)

    def get_absolute_url(self):
        return reverse("competence:kamtask_detail", args=[self.task_id]) + f"#comment-{self.pk}"


class ConsultationQuerySet(DistributorScopedQuerySet):
    def visible_to(self, principal):
        """Like distributor data, except that a salesperson sees only the requests they made."""
        from keychannel.core.choices import Role

        qs = super().visible_to(principal)
        if principal.has_role(Role.DIST_SALES):
            qs = qs.filter(requested_by_id=principal.user_id)
        return qs


class ConsultationRequest(TimeStampedModel):
    """Distributor staff ask the stationed KAM or their mentor for help on a client: a request, never a task."""

    distributor = models.ForeignKey(
        "network.Distributor", on_delete=models.CASCADE, related_name="consultations", verbose_name=_("distributor")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations_requested",
        verbose_name=_("requested by"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations_received",
        verbose_name=_("asked"),
    )
    client = models.ForeignKey(
        "clients.CorporateClient", on_delete=models.PROTECT, null=True, blank=True, related_name="consultations",
        verbose_name=_("client"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("what help is needed"))
    status = models.CharField(
        _("status"), max_length=20, choices=ConsultationStatus.choices, default=ConsultationStatus.PENDING,
        db_index=True,
    )
    response = models.TextField(_("answer"), blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    task = models.OneToOneField(
        KamTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="consultation",
        verbose_name=_("KAM task"),
    )

    objects = ConsultationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consultation request")
        verbose_name_plural = _("consultation requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=True) | Q(status="converted"),
                name="%(app_label)s_%(class)s_task_only_when_converted",
            ),
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("competence:consultation_detail", args=[self.pk])

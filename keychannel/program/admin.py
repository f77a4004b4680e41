from django import forms
from django.contrib import admin
from django.forms.models import construct_instance
from simple_history.admin import SimpleHistoryAdmin

from keychannel.core.admin import ReadOnlyAdmin

from . import models
from .services.goals import goal_validate


class MilestoneInline(admin.TabularInline):
    model = models.Milestone
    extra = 0


class CriterionInline(admin.TabularInline):
    model = models.LevelCriterion
    extra = 0


class ModuleInline(admin.TabularInline):
    model = models.CourseModule
    extra = 0


@admin.register(models.Program)
class ProgramAdmin(SimpleHistoryAdmin):
    list_display = ["name", "manager", "starts_on", "ends_on", "status", "version"]
    list_filter = ["status"]
    search_fields = ["name"]
    # The lifecycle moves only through the services (submit, sign-off, launch, revise, withdraw, close), where its
    # rules are checked and the reasons recorded; the admin shows it.
    readonly_fields = ["status", "version", "revision_note", "withdrawn_reason", "launched_at", "override_reason",
                       "override_by"]


@admin.register(models.Signoff)
class SignoffAdmin(SimpleHistoryAdmin):
    list_display = ["program", "version", "executive", "decision", "created_at"]
    list_filter = ["decision", "version"]


class GoalAdminForm(forms.ModelForm):
    """The admin saves without the services: its form checks the goal cascade as goal_create/goal_update do."""

    class Meta:
        model = models.Goal
        fields = ["program", "parent", "level", "name", "distributor", "metric", "target", "starts_on", "ends_on"]

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("program"):
            goal_validate(construct_instance(self, self.instance))
        return data


@admin.register(models.Goal)
class GoalAdmin(SimpleHistoryAdmin):
    form = GoalAdminForm
    list_display = ["name", "program", "level", "distributor", "metric", "target", "starts_on", "ends_on"]
    list_filter = ["level", "metric", "program"]
    search_fields = ["name", "distributor__code"]
    raw_id_fields = ["parent", "distributor"]
    inlines = [MilestoneInline]


@admin.register(models.ProgramRule)
class ProgramRuleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "program", "code", "version", "kind", "status", "published_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "code"]


@admin.register(models.Acknowledgement)
class AcknowledgementAdmin(SimpleHistoryAdmin):
    list_display = ["rule", "distributor", "acknowledged_by", "created_at"]


@admin.register(models.LedgerEntry)
class LedgerEntryAdmin(SimpleHistoryAdmin):
    list_display = ["distributor", "rule", "kind", "amount", "applied_on", "expires_on", "appeal_status"]
    list_filter = ["kind", "appeal_status"]


@admin.register(models.ProgramLevel)
class ProgramLevelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "program", "rank", "support_budget_share", "protection_days"]
    inlines = [CriterionInline]


class ReadOnlyLevelAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Levels change only through the recompute (services), which records the change and notifies the head."""


@admin.register(models.DistributorLevel)
class DistributorLevelAdmin(ReadOnlyLevelAdmin):
    list_display = ["distributor", "program", "level", "since"]
    list_filter = ["program", "level"]


@admin.register(models.LevelChange)
class LevelChangeAdmin(ReadOnlyLevelAdmin):
    list_display = ["distributor", "program", "from_level", "to_level", "changed_by", "created_at", "reason"]
    list_filter = ["program"]


@admin.register(models.Event)
class EventAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "starts_at", "location", "status", "open_to_all"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "location"]


@admin.register(models.EventInvitation)
class EventInvitationAdmin(SimpleHistoryAdmin):
    list_display = ["event", "user", "distributor", "rsvp", "attended"]
    list_filter = ["rsvp"]


@admin.register(models.SupportBudget)
class SupportBudgetAdmin(SimpleHistoryAdmin):
    list_display = ["distributor", "year", "amount", "level", "level_share", "pool"]
    list_filter = ["year"]
    readonly_fields = ["level", "level_share", "pool"]


@admin.register(models.SupportRequest)
class SupportRequestAdmin(SimpleHistoryAdmin):
    list_display = ["title", "distributor", "kind", "status", "amount_requested", "amount_approved", "amount_claimed"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "distributor__code"]
    # Claims go through support_money.support_claim (proof, within what was approved); the database refuses a
    # claimed amount above the approved one whatever the admin changes (constraint claimed_within_approved).
    readonly_fields = ["amount_claimed", "claimed_at", "proof", "proof_content_type"]
    raw_id_fields = ["client"]


@admin.register(models.Award)
class AwardAdmin(SimpleHistoryAdmin):
    list_display = ["title", "distributor", "awarded_on"]


@admin.register(models.LearningResource)
class LearningResourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "published"]


@admin.register(models.Course)
class CourseAdmin(SimpleHistoryAdmin):
    list_display = ["title", "code", "certificate_title", "published"]
    inlines = [ModuleInline]


@admin.register(models.Enrollment)
class EnrollmentAdmin(SimpleHistoryAdmin):
    list_display = ["course", "user", "distributor", "completed_at", "certificate_number"]


@admin.register(models.BestPractice)
class BestPracticeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "distributor", "status"]



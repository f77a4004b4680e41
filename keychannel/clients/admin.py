from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccountAction,
    AccountCompetitor,
    AccountObjective,
    AccountPlan,
    ClientMerge,
    CorporateClient,
    Stakeholder,
    StakeholderContact,
    StakeholderLink,
)


class StakeholderInline(admin.TabularInline):
    model = Stakeholder
    fields = ["full_name", "job_title", "level", "influence", "attitude", "is_external", "last_contact_on"]
    extra = 0
    show_change_link = True


@admin.register(CorporateClient)
class CorporateClientAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "tax_id", "code", "distributor", "status", "is_key_account", "out_of_scope"]
    list_filter = ["status", "is_key_account", "out_of_scope", "revenue_band", "distributor"]
    search_fields = ["legal_name", "normalized_name", "tax_id", "code"]
    readonly_fields = ["normalized_name", "coverage_score", "risk_flags", "analysed_at", "created_by"]
    autocomplete_fields = ["distributor", "territory"]
    inlines = [StakeholderInline]


class StakeholderContactInline(admin.TabularInline):
    model = StakeholderContact
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Stakeholder)
class StakeholderAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "client", "job_title", "level", "influence", "attitude", "is_external"]
    list_filter = ["level", "is_external", "attitude", "influence"]
    search_fields = ["full_name", "job_title", "client__legal_name"]
    autocomplete_fields = ["client", "reports_to"]
    inlines = [StakeholderContactInline]


@admin.register(StakeholderLink)
class StakeholderLinkAdmin(SimpleHistoryAdmin):
    list_display = ["source", "kind", "target"]
    list_filter = ["kind"]
    autocomplete_fields = ["source", "target"]


@admin.register(ClientMerge)
class ClientMergeAdmin(SimpleHistoryAdmin):
    list_display = ["merged_legal_name", "survivor", "merged_by", "created_at"]
    search_fields = ["merged_legal_name", "merged_tax_id", "survivor__legal_name"]
    readonly_fields = [f.name for f in ClientMerge._meta.fields]


class ObjectiveInline(admin.TabularInline):
    model = AccountObjective
    extra = 0


class ActionInline(admin.TabularInline):
    model = AccountAction
    extra = 0


class CompetitorInline(admin.TabularInline):
    model = AccountCompetitor
    extra = 0


@admin.register(AccountPlan)
class AccountPlanAdmin(SimpleHistoryAdmin):
    list_display = ["client", "owner", "review_on"]
    search_fields = ["client__legal_name"]
    autocomplete_fields = ["client"]
    inlines = [ObjectiveInline, ActionInline, CompetitorInline]

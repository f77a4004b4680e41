from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CaseEvent, CaseMessage, IntakeLink, ServiceCase


class CaseMessageInline(admin.TabularInline):
    model = CaseMessage
    extra = 0
    fields = ["kind", "author", "from_client", "body", "attachment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["kind", "at", "detail"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceCase)
class ServiceCaseAdmin(SimpleHistoryAdmin):
    """Read-mostly: cases change through their pages and API (the SLA clock and the assignment rule live there)."""

    list_display = ["title", "client", "distributor", "priority", "status", "resolution_due_at", "resolution_breached"]
    list_filter = ["status", "priority", "case_type", "resolution_breached"]
    search_fields = ["title", "client__legal_name"]
    fields = ["client", "distributor", "title", "description", "case_type", "priority", "product_line", "site",
              "contact_name", "contact_email", "status", "assignee"]
    readonly_fields = fields
    inlines = [CaseMessageInline, CaseEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IntakeLink)
class IntakeLinkAdmin(SimpleHistoryAdmin):
    list_display = ["client", "created_by", "created_at", "active"]
    list_filter = ["active"]
    fields = ["client", "active"]
    readonly_fields = ["client"]

    def has_add_permission(self, request):
        return False

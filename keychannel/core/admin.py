from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ApiToken,
    Invitation,
    Membership,
    Notification,
    NotificationPreference,
    Organization,
    SecurityEvent,
)


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "password_login", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "role", "title"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash", "hint", "last_used_at"]
    search_fields = ["name", "user__username"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "event_type", "delivery", "created_at", "read_at", "emailed_at"]
    list_filter = ["delivery", "event_type"]
    search_fields = ["title", "recipient__username"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "event_type", "delivery", "updated_at"]
    list_filter = ["delivery", "event_type"]
    search_fields = ["user__username"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "username", "action", "method", "path", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username", "action", "path"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    """Read-only: invitations are sent from the People page (the link is a token, nothing to edit here)."""

    list_display = ["user", "organization", "role", "invited_by", "sent_at", "expires_at", "accepted_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__email", "organization__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

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


class ReadOnlyAdmin:
    """Mixin for a ``ModelAdmin`` (put it first in the bases) whose records are read in the admin, never added or
    changed there: derived data (the roll-ups), records only their services write (program levels, sign-offs) and
    logs. ``deletable = True`` keeps the default delete permission, for records an operator may clear (security
    events, invitations, webhooks); otherwise they are not deleted here either."""

    deletable = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


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
class SecurityEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "username", "action", "method", "path", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username", "action", "path"]
    deletable = True


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only: invitations are sent from the People page (the link is a token, nothing to edit here)."""

    list_display = ["user", "organization", "role", "invited_by", "sent_at", "expires_at", "accepted_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__email", "organization__name"]
    deletable = True

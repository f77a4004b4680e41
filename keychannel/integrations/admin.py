from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from keychannel.core.admin import ReadOnlyAdmin

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["name", "url", "distributor", "owner", "is_active", "consecutive_failures"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    # The secret is never shown (it is given once, at creation). Subscriptions are made on the webhooks page, where
    # the URL is checked, and changed through the pages and the API.
    readonly_fields = ["owner", "distributor", "consecutive_failures", "disabled_at", "disabled_reason"]
    exclude = ["secret"]
    deletable = True


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "attempted_at", "status_code", "error", "response_excerpt", "duration_ms", "redelivery"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["message_id", "event_type", "subscription", "status", "attempts", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id"]
    readonly_fields = ["subscription", "message_id", "event_type", "payload", "status", "attempts", "attempts_allowed",
                       "next_attempt_at", "delivered_at", "last_status_code", "last_error"]
    inlines = [AttemptInline]
    deletable = True

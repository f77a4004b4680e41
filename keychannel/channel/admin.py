from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Conflict, ConflictComment, ConflictParty, DealRegistration, Lead, LeadOffer


@admin.register(DealRegistration)
class DealRegistrationAdmin(SimpleHistoryAdmin):
    list_display = ["client_name", "distributor", "status", "holds_claim", "submitted_on", "protected_until"]
    list_filter = ["status", "holds_claim", "on_behalf"]
    search_fields = ["client_name", "title", "distributor__code"]
    raw_id_fields = ["client", "distributor", "registered_by", "decided_by"]
    filter_horizontal = ["product_lines"]


class ConflictPartyInline(admin.TabularInline):
    model = ConflictParty
    extra = 0
    raw_id_fields = ["distributor", "registration"]


class ConflictCommentInline(admin.StackedInline):
    model = ConflictComment
    extra = 0
    raw_id_fields = ["author", "author_distributor"]


@admin.register(Conflict)
class ConflictAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "kind", "client_name", "status", "resolution", "due_on", "decided_by"]
    list_filter = ["kind", "status", "resolution", "out_of_scope_reason"]
    search_fields = ["client_name", "reason", "decision_note"]
    raw_id_fields = ["client", "territory", "registration", "opened_by", "decided_by", "awarded_to"]
    filter_horizontal = ["product_lines"]
    inlines = [ConflictPartyInline, ConflictCommentInline]


class LeadOfferInline(admin.TabularInline):
    model = LeadOffer
    extra = 0
    raw_id_fields = ["distributor", "responded_by"]


@admin.register(Lead)
class LeadAdmin(SimpleHistoryAdmin):
    list_display = ["company_name", "territory", "status", "source", "estimated_value", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["company_name", "tax_id"]
    raw_id_fields = ["territory", "created_by", "registration"]
    filter_horizontal = ["product_lines"]
    inlines = [LeadOfferInline]

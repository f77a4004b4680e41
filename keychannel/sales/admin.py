from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from keychannel.core.admin import ReadOnlyAdmin

from .models import (
    ClientMapping,
    ClientSegment,
    ColumnMapping,
    ImportJob,
    ProductMapping,
    SalesLine,
    SalesReport,
    SalesRollup,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)


@admin.register(SalesReport)
class SalesReportAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "distributor", "period", "file_name", "status", "row_count", "line_count", "error_count", "created_at"]
    list_filter = ["status", "source", "distributor"]
    search_fields = ["file_name", "file_hash", "distributor__code"]
    exclude = ["content"]
    readonly_fields = ["file_hash", "errors", "unmatched_clients", "unknown_products", "headers", "mapping",
                       "supersedes", "duplicate_of", "uploaded_by", "applied_at"]
    list_select_related = ["distributor"]


@admin.register(ImportJob)
class ImportJobAdmin(SimpleHistoryAdmin):
    """Background imports: read here, retried from their page or the jobs page (the worker writes them)."""

    list_display = ["pk", "distributor", "file_name", "status", "progress_done", "progress_total", "attempts",
                    "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["file_name", "distributor__code"]
    exclude = ["content", "claim_token"]
    readonly_fields = ["distributor", "file_name", "period", "mapping_name", "supersede", "source", "uploaded_by",
                       "report", "status", "task_id", "lease_until", "attempts", "progress_done", "progress_total",
                       "started_at", "finished_at", "error"]
    list_select_related = ["distributor"]

    def has_add_permission(self, request):
        return False


@admin.register(SalesLine)
class SalesLineAdmin(admin.ModelAdmin):
    list_display = ["date", "distributor", "client", "product_line", "quantity", "amount", "currency", "report"]
    list_filter = ["distributor", "product_line"]
    search_fields = ["client__legal_name", "client__tax_id", "invoice"]
    raw_id_fields = ["report", "client"]
    list_select_related = ["distributor", "client", "product_line"]
    show_full_result_count = False


@admin.register(ColumnMapping)
class ColumnMappingAdmin(SimpleHistoryAdmin):
    list_display = ["distributor", "name", "is_default"]
    list_filter = ["distributor"]


@admin.register(ProductMapping)
class ProductMappingAdmin(SimpleHistoryAdmin):
    list_display = ["distributor", "product_code", "product_line", "description"]
    list_filter = ["distributor", "product_line"]
    search_fields = ["product_code", "description"]


@admin.register(ClientMapping)
class ClientMappingAdmin(SimpleHistoryAdmin):
    list_display = ["distributor", "source_key", "client"]
    raw_id_fields = ["client"]


@admin.register(ClientSegment)
class ClientSegmentAdmin(SimpleHistoryAdmin):
    list_display = ["client", "distributor", "year", "volume", "abc_class", "share_of_potential", "small_batches", "nps_class", "label"]
    list_filter = ["year", "label", "abc_class", "small_batches", "nps_class", "distributor"]
    search_fields = ["client__legal_name", "client__tax_id"]
    raw_id_fields = ["client"]
    list_select_related = ["client", "distributor"]


@admin.register(Survey)
class SurveyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "distributor", "closes_on", "created_at"]


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    list_display = ["survey", "client", "contact_name", "expires_at", "responded_at"]
    exclude = ["token_hash"]
    raw_id_fields = ["client"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(SimpleHistoryAdmin):
    list_display = ["survey", "client", "recommend", "will_continue", "why_chose", "created_at"]
    list_filter = ["survey", "will_continue", "why_chose"]
    raw_id_fields = ["client", "invitation"]


@admin.register(SalesRollup)
class SalesRollupAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read only: derived from the applied sales lines (sales/rollups.py); ``manage.py sales_rollup_rebuild``
    recounts it."""

    list_display = ["distributor", "month", "line_count", "amount"]
    list_filter = ["month"]
    raw_id_fields = ["distributor"]

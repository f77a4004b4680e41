from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from keychannel.core.scoping import Principal

from . import services
from .models import (
    Activity,
    ContractNotice,
    CorporateContract,
    Opportunity,
    ProductTest,
    StageChange,
    StageSetting,
)


@admin.register(StageSetting)
class StageSettingAdmin(SimpleHistoryAdmin):
    list_display = ["stage", "probability", "guidance"]

    def save_model(self, request, obj, form, change):
        """Through the service, so the deals in that stage are re-weighted."""
        probability = obj.probability
        if change:
            obj.refresh_from_db(fields=["probability"])
            services.stage_setting_update(principal=Principal.for_user(request.user), setting=obj,
                                          probability=probability)
        else:
            super().save_model(request, obj, form, change)


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    readonly_fields = ["from_stage", "to_stage", "changed_by", "changed_at", "note"]
    can_delete = False


@admin.register(Opportunity)
class OpportunityAdmin(SimpleHistoryAdmin):
    list_display = ["title", "client", "distributor", "stage", "value", "probability", "expected_close_on", "owner"]
    list_filter = ["stage", "origin", "distributor"]
    search_fields = ["title", "client__legal_name"]
    autocomplete_fields = ["client", "distributor", "owner", "mentor", "kam"]
    filter_horizontal = ["product_lines"]
    readonly_fields = ["stage", "probability", "stage_entered_at", "closed_on", "contract"]
    inlines = [StageChangeInline]


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "kind", "occurred_on", "opportunity"]
    list_filter = ["kind"]
    search_fields = ["subject", "opportunity__title"]
    raw_id_fields = ["opportunity", "product_test"]
    filter_horizontal = ["stakeholders", "participants"]


@admin.register(ProductTest)
class ProductTestAdmin(SimpleHistoryAdmin):
    list_display = ["title", "opportunity", "starts_on", "ends_on", "result"]
    list_filter = ["result"]
    search_fields = ["title", "opportunity__title"]
    raw_id_fields = ["opportunity"]
    filter_horizontal = ["signoff_stakeholders"]


@admin.register(CorporateContract)
class CorporateContractAdmin(SimpleHistoryAdmin):
    list_display = ["client", "distributor", "starts_on", "ends_on", "tier", "status", "owner"]
    list_filter = ["status", "tier"]
    search_fields = ["client__legal_name"]
    autocomplete_fields = ["client", "distributor", "owner"]


@admin.register(ContractNotice)
class ContractNoticeAdmin(SimpleHistoryAdmin):
    list_display = ["contract", "sent_on", "recipient"]
    raw_id_fields = ["contract"]

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Distributor, ProductLine, Territory


@admin.register(Territory)
class TerritoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


@admin.register(ProductLine)
class ProductLineAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "active"]
    search_fields = ["name", "code"]


@admin.register(Distributor)
class DistributorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "legal_name", "size_tier", "contract_strength", "stance", "channel_manager", "active"]
    list_filter = ["size_tier", "contract_strength", "stance", "shares_goals", "shares_methods", "active"]
    search_fields = ["code", "legal_name", "tax_id"]
    autocomplete_fields = ["territory", "channel_manager", "organization"]
    filter_horizontal = ["product_lines"]

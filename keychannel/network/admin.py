from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ChannelPresence, Coverage, Distributor, Playbook, ProductLine, Territory


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


@admin.register(Coverage)
class CoverageAdmin(SimpleHistoryAdmin):
    list_display = ["distributor", "territory", "product_line", "exclusive", "valid_from", "valid_to"]
    list_filter = ["exclusive", "product_line"]
    search_fields = ["distributor__code", "distributor__legal_name", "territory__name"]
    autocomplete_fields = ["distributor", "territory"]


@admin.register(ChannelPresence)
class ChannelPresenceAdmin(SimpleHistoryAdmin):
    list_display = ["territory", "channel_type", "count", "note"]
    list_filter = ["channel_type"]
    autocomplete_fields = ["territory"]


@admin.register(Playbook)
class PlaybookAdmin(SimpleHistoryAdmin):
    list_display = ["title", "quadrant", "sole_channel"]
    list_filter = ["quadrant", "sole_channel"]

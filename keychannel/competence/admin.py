from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import EmbeddedAssignment, Mentorship


@admin.register(Mentorship)
class MentorshipAdmin(SimpleHistoryAdmin):
    list_display = ["mentor", "distributor", "starts_on", "ends_on"]
    list_filter = ["mentor"]
    autocomplete_fields = ["distributor"]


@admin.register(EmbeddedAssignment)
class EmbeddedAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["kam", "distributor", "starts_on", "ends_on"]
    autocomplete_fields = ["distributor"]

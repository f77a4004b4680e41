from django.contrib import admin

from .models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ["job", "period_start", "status", "started_at", "finished_at", "attempts"]
    list_filter = ["status", "job"]
    readonly_fields = ["job", "period_start", "status", "task_id", "lease_until", "attempts", "progress_done",
                       "progress_total", "started_at", "finished_at", "error", "output"]
    exclude = ["claim_token"]

    def has_add_permission(self, request):
        return False

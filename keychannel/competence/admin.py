"""Django admin of the competence app. KAM tasks go through the same service and policy as the UI and the API:
the admin cannot become a side door for giving a KAM work."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from keychannel.core.policies import can
from keychannel.core.scoping import Principal

from . import services
from .choices import TaskPriority
from .models import (
    CoachingSession,
    ConsultationRequest,
    EmbeddedAssignment,
    KamTask,
    KamTaskComment,
    Mentorship,
)


def _principal(request):
    return getattr(request, "principal", None) or Principal.for_user(request.user)


@admin.register(Mentorship)
class MentorshipAdmin(SimpleHistoryAdmin):
    list_display = ["mentor", "distributor", "client", "starts_on", "ends_on"]
    list_filter = ["mentor"]
    autocomplete_fields = ["distributor"]
    raw_id_fields = ["client"]


@admin.register(EmbeddedAssignment)
class EmbeddedAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["kam", "distributor", "starts_on", "ends_on"]
    autocomplete_fields = ["distributor"]


@admin.register(CoachingSession)
class CoachingSessionAdmin(SimpleHistoryAdmin):
    list_display = ["held_on", "topic", "mentorship", "next_step_due"]
    raw_id_fields = ["mentorship"]
    search_fields = ["topic", "participants"]


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "distributor", "requested_by", "recipient", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["client", "task"]


class KamTaskCommentInline(admin.TabularInline):
    model = KamTaskComment
    extra = 0
    readonly_fields = ["author", "body", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class KamTaskAdminForm(forms.ModelForm):
    class Meta:
        model = KamTask
        fields = ["distributor", "kam", "duty", "title", "description", "priority", "due_on", "client"]

    def clean(self):
        data = super().clean()
        distributor = data.get("distributor") or getattr(self.instance, "distributor", None)
        if distributor is not None and data.get("kam") and data.get("duty") and data.get("title"):
            services.kam_task_validate(distributor=distributor, kam=data["kam"], duty=data["duty"],
                                       title=data["title"], priority=data.get("priority") or TaskPriority.NORMAL,
                                       client=data.get("client"), suffix="")
        return data


@admin.register(KamTask)
class KamTaskAdmin(SimpleHistoryAdmin):
    """Create, re-assign, re-prioritise and cancel through services; who may is the policy's decision."""

    form = KamTaskAdminForm
    list_display = ["title", "kam", "distributor", "duty", "priority", "status", "due_on"]
    list_filter = ["status", "duty", "priority"]
    search_fields = ["title", "kam__username", "distributor__code"]
    autocomplete_fields = ["distributor"]
    raw_id_fields = ["client"]
    fields = ["distributor", "kam", "duty", "title", "description", "priority", "due_on", "client", "status",
              "cancel_reason"]
    readonly_fields = ["status", "cancel_reason"]
    inlines = [KamTaskCommentInline]
    actions = ["cancel_selected", "raise_priority"]

    def get_urls(self):
        """Record refused write attempts (POSTs) even where the admin site itself turns the user away."""
        urls = super().get_urls()
        for pattern in urls:
            callback = getattr(pattern, "callback", None)
            if callback is not None:
                pattern.callback = self._recording(callback)
        return urls

    def _recording(self, view):
        def wrapped(request, *args, **kwargs):
            principal = _principal(request)
            if request.method == "POST" and not can(principal, "competence.kamtask.create") and not any(
                can(principal, "competence.kamtask.manage", t)
                for t in KamTask.objects.visible_to(principal).filter(pk=kwargs.get("object_id") or 0)
            ):
                services.record_forbidden(principal=principal, request=request, action="competence.kamtask.admin",
                                          detail=request.path)
            return view(request, *args, **kwargs)

        wrapped.__name__ = getattr(view, "__name__", "view")
        return wrapped

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kam", "distributor")

    def get_readonly_fields(self, request, obj=None):
        # A task stays at its distributor: re-assigning means another KAM stationed there.
        return [*self.readonly_fields, "distributor"] if obj is not None else self.readonly_fields

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can(_principal(request), "competence.kamtask.create")

    def has_change_permission(self, request, obj=None):
        principal = _principal(request)
        if obj is None:
            return super().has_change_permission(request) and not principal.is_distributor_user
        return super().has_change_permission(request, obj) and can(principal, "competence.kamtask.manage", obj)

    def has_delete_permission(self, request, obj=None):
        return False  # tasks are cancelled, never deleted: the history stays

    def save_model(self, request, obj, form, change):
        principal = _principal(request)
        data = {name: form.cleaned_data.get(name) for name in form.changed_data if name in services.MANAGED_FIELDS}
        if change:
            services.kam_task_update(principal=principal, request=request, task=KamTask.objects.get(pk=obj.pk),
                                     **data)
        else:
            created = services.kam_task_create(
                principal=principal, request=request, distributor=form.cleaned_data["distributor"],
                kam=form.cleaned_data["kam"], duty=form.cleaned_data["duty"], title=form.cleaned_data["title"],
                description=form.cleaned_data.get("description") or "",
                priority=form.cleaned_data.get("priority") or TaskPriority.NORMAL,
                due_on=form.cleaned_data.get("due_on"), client=form.cleaned_data.get("client"),
            )
            obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)  # comments are read-only here; the KAM writes them on the task page

    @admin.action(description=_("Cancel the selected tasks"))
    def cancel_selected(self, request, queryset):
        self._bulk(request, queryset, lambda p, t: services.kam_task_cancel(
            principal=p, request=request, task=t, reason=str(_("Cancelled in the admin"))))

    @admin.action(description=_("Raise the priority of the selected tasks"))
    def raise_priority(self, request, queryset):
        self._bulk(request, queryset, lambda p, t: services.kam_task_update(
            principal=p, request=request, task=t, priority=min(int(t.priority) + 1, TaskPriority.URGENT)))

    def _bulk(self, request, queryset, call):
        principal = _principal(request)
        done = 0
        for task in queryset:
            try:
                call(principal, task)
                done += 1
            except PermissionDenied:
                self.message_user(request, _("Not allowed for “%(t)s”.") % {"t": task.title}, messages.ERROR)
            except Exception as exc:  # noqa: BLE001 - ConflictError, ValidationError: report and go on
                self.message_user(request, f"{task.title}: {getattr(exc, 'message', exc)}", messages.WARNING)
        if done:
            self.message_user(request, _("%(n)d tasks changed.") % {"n": done}, messages.SUCCESS)

"""Reads of the core app, always scoped to the principal."""

from django.apps import apps
from django.http import Http404
from django.utils.text import capfirst

from .models import ApiToken, Notification, SecurityEvent
from .policies import require
from .scoping import get_visible_or_404


def api_token_list(*, principal):
    return ApiToken.objects.filter(user_id=principal.user_id)


def notification_list(*, principal):
    return Notification.objects.filter(recipient_id=principal.user_id)


def unread_notification_count(*, principal) -> int:
    return Notification.objects.filter(recipient_id=principal.user_id, read_at__isnull=True).count()


def security_event_list(*, principal):
    require(principal, "core.securityevent.view")
    return SecurityEvent.objects.select_related("user")


def audited_object_get(*, principal, app_label: str, model_name: str, pk):
    """The record whose history is asked for, through the same scope as its own page."""
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        raise Http404("Not found") from None
    if not model.__module__.startswith("keychannel.") or not hasattr(model, "history"):
        raise Http404("Not found")
    return get_visible_or_404(model, principal, pk=pk)


def history_entries(*, obj, limit: int = 200) -> list[dict]:
    """History of one record, newest first, each with the fields that changed against the version before."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            changes = [
                {"field": capfirst(str(obj._meta.get_field(c.field).verbose_name)), "old": c.old, "new": c.new}
                for c in delta.changes
                if c.field != "updated_at"
            ]
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "type": record.get_history_type_display(),
                "changes": changes,
            }
        )
    return entries

"""Reads of the core app, always scoped to the principal."""

from django.apps import apps
from django.http import Http404

from . import history
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


def login_lockout_list(*, principal):
    """Current login lockouts (django-axes attempts over a limit): administrators only, like security events."""
    from . import lockout

    require(principal, "core.securityevent.view")
    return lockout.current_locks()


def audited_object_get(*, principal, app_label: str, model_name: str, pk):
    """The record whose history is asked for, through the same scope as its own page."""
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        raise Http404("Not found") from None
    # Only records with a history of their own and a scope: a historical model, a many-to-many history table
    # or an unscoped model has no page of its own, so no history page either.
    if not model.__module__.startswith("keychannel.") or not history.is_history_tracked(model):
        raise Http404("Not found")
    if not hasattr(model._default_manager.all(), "visible_to"):
        raise Http404("Not found")
    return get_visible_or_404(model, principal, pk=pk)


def history_entries(*, principal, obj, limit: int = 200) -> list[dict]:
    """History of one record as this principal may read it (see keychannel/core/history.py)."""
    return history.history_entries(principal=principal, obj=obj, limit=limit)

"""Reads of the core app, always scoped to the principal."""

from django.apps import apps
from django.http import Http404

from . import history
from .models import ApiToken, Membership, Notification, Organization, SecurityEvent
from .policies import require
from .scoping import get_visible_or_404


def api_token_list(*, principal):
    return ApiToken.objects.filter(user_id=principal.user_id)


def notification_list(*, principal):
    return Notification.objects.filter(recipient_id=principal.user_id)


def notification_preferences(*, principal) -> list[dict]:
    """Every notification type with its label and how the principal receives it (their own choices only)."""
    from .notifications import preferences_for

    return preferences_for(principal.user)


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


def user_list(*, principal, status: str = "", organization_id=None, role: str = "", q: str = ""):
    """The accounts the principal manages (memberships with their user, organisation and invitation)."""
    from django.db.models import Q

    require(principal, "core.user.list")
    qs = Membership.objects.visible_to(principal).select_related("user", "organization", "user__invitation")
    if not principal.has_role("admin"):
        qs = qs.filter(organization_id=principal.organization_id)
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    if role:
        qs = qs.filter(role=role)
    if status == "active":
        qs = qs.filter(user__is_active=True).exclude(user__password__startswith="!")
    elif status == "invited":
        qs = qs.filter(user__is_active=True, user__password__startswith="!")
    elif status == "deactivated":
        qs = qs.filter(user__is_active=False)
    if q:
        qs = qs.filter(Q(user__username__icontains=q) | Q(user__email__icontains=q) | Q(user__first_name__icontains=q)
                       | Q(user__last_name__icontains=q))
    return qs.order_by("organization__kind", "organization__name", "user__last_name", "user__username")


def user_get(*, principal, user_id) -> Membership:
    """One account the principal manages; 404 for others (a head asking for another company's people)."""
    require(principal, "core.user.list")
    return get_visible_or_404(user_list(principal=principal), principal, user_id=user_id)


def invitable_organizations(*, principal):
    """Where the principal may invite people: everywhere for the administrator, its own company for a head."""
    qs = Organization.objects.visible_to(principal).select_related("distributor")
    if not principal.has_role("admin"):
        qs = qs.filter(pk=principal.organization_id)
    return qs.exclude(distributor__active=False)


def audit_log(*, principal, filters: dict | None = None, cursor: str | None = None):
    """The network-wide audit log, newest first (keychannel/core/audit.py): admin and program manager."""
    from . import audit

    return audit.log(principal=principal, filters=filters, cursor=cursor)


def audit_describe(*, principal, rows: list[dict]) -> list[dict]:
    """Who, what and the changes of a page of the log, in names, as ``principal`` may read them."""
    from . import audit

    return audit.describe(principal, rows)

"""JSON API of the core app: token issue and revoke, who am I, notifications."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keychannel.core.pagination import BoundedPagination, paginate

from . import search, selectors, services
from .choices import Role
from .models import Organization
from .schemas import (
    AccountOut,
    AuditFilter,
    AuditPageOut,
    ErrorOut,
    LogoutEverywhereOut,
    MeOut,
    NotificationOut,
    NotificationPreferenceOut,
    NotificationPreferencesIn,
    NotificationsReadIn,
    NotificationsReadOut,
    SearchOut,
    TokenIn,
    TokenOut,
    UserInviteIn,
    ValidationErrorOut,
)
from .scoping import Principal

router = Router(tags=["core"])


@router.post(
    "/auth/token", auth=None, response={201: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut}, summary="Issue a token"
)
def token_issue(request, payload: TokenIn):
    """Exchange a username and password for a personal bearer token (failed attempts count towards lockout)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            return Status(429, {"detail": _("Too many failed attempts: this account is locked for a while.")})
        return Status(401, {"detail": _("Wrong username or password.")})
    if user.is_superuser:  # a createsuperuser account gets its administrator role here too (see signals.py)
        services.administrator_membership_ensure(user=user)
    principal = Principal.for_user(user)
    if not principal.is_authenticated:
        return Status(403, {"detail": _("This user has no role in the network.")})
    from .forms import PASSWORD_LOGIN_OFF, password_login_refused

    if password_login_refused(user):
        return Status(403, {"detail": str(PASSWORD_LOGIN_OFF)})
    token, raw = services.api_token_create(principal=principal, name=payload.name or "API")
    return Status(201, {"token": raw, "name": token.name, "expires_at": token.expires_at})


@router.delete("/auth/token", response={204: None, 400: ErrorOut}, summary="Revoke the token in use")
def token_revoke(request):
    raw = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    from .models import ApiToken, hash_token

    token = ApiToken.objects.filter(user_id=request.principal.user_id, key_hash=hash_token(raw)).first()
    if token is None:
        return Status(400, {"detail": _("Send the token to revoke as the bearer token of this request.")})
    services.api_token_revoke(principal=request.principal, token=token)
    return Status(204, None)


@router.post("/users/{user_id}/unlock", response={204: None, 403: ErrorOut, 404: ErrorOut},
             summary="Lift a user's login lockout (administrators)")
def user_unlock(request, user_id: int):
    """Forget the user's failed logins from every address, so the lockout ends now (also page logins)."""
    from django.contrib.auth import get_user_model
    from django.shortcuts import get_object_or_404

    from .policies import require

    require(request.principal, "core.lockout.clear")  # 403 before 404: only administrators learn which ids exist
    user = get_object_or_404(get_user_model(), pk=user_id)
    services.login_lockout_clear(principal=request.principal, request=request, username=user.get_username())
    return Status(204, None)


@router.post("/auth/logout-everywhere", response={200: LogoutEverywhereOut},
             summary="Revoke all my tokens and end all my sessions")
def logout_everywhere(request):
    """Every API token of the caller is revoked and every browser session ended, the calling one included."""
    result = services.logout_everywhere(principal=request.principal, request=request)
    return Status(200, result)


@router.get("/me", response=MeOut, summary="The caller: user, organisation, role and reach")
def me(request):
    principal = request.principal
    user = principal.user
    organization = principal.organization  # joined to the token's query (core.services.api_token_check)
    reach = principal.distributor_ids
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "email": user.email,
        "role": principal.role,
        "role_label": str(Role(principal.role).label),
        "organization": organization,
        "distributor_id": principal.own_distributor_id,
        "distributor_ids": sorted(reach) if reach is not None else None,
    }


class PreferencesIn(Schema):
    language: str | None = Field(None, description='A language code ("en", "ro", "ru"); "" = the browser\'s language.')
    time_zone: str | None = Field(None, description='An IANA time zone; "" = the default (Europe/Bucharest).')


class PreferencesOut(Schema):
    language: str
    time_zone: str


@router.patch("/me/preferences", response={200: PreferencesOut, 422: ValidationErrorOut},
              summary="My language and time zone (as on the profile page)")
def preferences_update(request, payload: PreferencesIn):
    membership = services.preferences_update(principal=request.principal, **payload.model_dump(exclude_unset=True))
    return {"language": membership.language, "time_zone": membership.time_zone}


class OrganizationLoginOut(Schema):
    id: int
    name: str
    kind: str
    password_login: bool = Field(..., description="False: single sign-on only; password logins are refused.")


class LoginSettingsIn(Schema):
    password_login: bool


@router.get("/organizations", response={200: list[OrganizationLoginOut], 403: ErrorOut},
            summary="Organisations with their sign-in setting (administrator)")
@paginate(BoundedPagination)  # issue 22 (wave 14): 2,000 organisations in one answer (199 KB) took 200 ms
def organization_list(request):
    from . import login_settings

    return login_settings.organization_list(principal=request.principal).values("id", "name", "kind",
                                                                                  "password_login")


@router.patch("/organizations/{int:organization_id}/login-settings",
              response={200: OrganizationLoginOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
              summary="Turn local passwords on or off for an organisation (administrator)")
def organization_login_settings(request, organization_id: int, payload: LoginSettingsIn):
    from django.shortcuts import get_object_or_404

    from . import login_settings

    organization = get_object_or_404(login_settings.organization_list(principal=request.principal), pk=organization_id)
    return login_settings.organization_login_settings_update(
        principal=request.principal, organization=organization, password_login=payload.password_login)


@router.get("/notifications", response=list[NotificationOut], summary="My notifications")
@paginate(BoundedPagination)
def notification_list(request):
    return selectors.notification_list(principal=request.principal)


@router.post("/notifications/read", response={200: NotificationsReadOut},
             summary="Mark my notifications read (the given ids, or every unread one)")
def notification_mark_read(request, payload: NotificationsReadIn):
    """What "Mark all read" does on the notifications page; other people's notifications are never touched."""
    marked = services.notification_mark_read(principal=request.principal, notification_ids=payload.ids)
    return {"marked": marked}


@router.get("/me/notification-preferences", response=list[NotificationPreferenceOut],
            summary="How I receive each type of notification")
def notification_preferences(request):
    """Every notification type, its label and my delivery: ``immediate`` (e-mail at once, the default), ``digest``
    (one daily e-mail) or ``in_app`` (no e-mail). Every type is shown in the app either way."""
    return selectors.notification_preferences(principal=request.principal)


@router.put("/me/notification-preferences", response={200: list[NotificationPreferenceOut], 422: ValidationErrorOut},
            summary="Choose how I receive notifications")
def notification_preferences_set(request, payload: NotificationPreferencesIn):
    """Set the delivery of the given types (the others keep theirs). An unknown type or delivery changes nothing."""
    services.notification_preferences_set(principal=request.principal, choices=payload.preferences)
    return selectors.notification_preferences(principal=request.principal)


# --- people's accounts (issue 16; services in onboarding.py) ------------------------------------------------


def _user_out(membership) -> dict:
    from . import onboarding

    user = membership.user
    invitation = getattr(user, "invitation", None)
    return {
        "id": user.pk, "username": user.get_username(), "email": user.email, "first_name": user.first_name,
        "last_name": user.last_name, "organization_id": membership.organization_id,
        "organization": membership.organization.name, "role": membership.role, "title": membership.title,
        "status": onboarding.user_status(user), "last_login": user.last_login,
        "invited_at": invitation.sent_at if invitation else None,
        "invitation_expires_at": invitation.expires_at if invitation and invitation.accepted_at is None else None,
        "updated_at": max(t for t in (membership.updated_at, invitation.updated_at if invitation else None,
                                      user.last_login) if t is not None),
    }


@router.get("/users", response={200: list[AccountOut], 403: ErrorOut},
            summary="People's accounts (administrators: everybody; a distributor head: its own company)")
@paginate(BoundedPagination)
def user_list(request, status: str = "", role: str = "", organization_id: int | None = None, q: str = ""):
    """``status``: active, invited or deactivated."""
    return [_user_out(m) for m in selectors.user_list(principal=request.principal, status=status, role=role,
                                                      organization_id=organization_id, q=q)]


@router.post("/users/invitations", response={201: AccountOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
             summary="Invite a person (an account without a password; the e-mail carries a one-time link)")
def user_invite(request, payload: UserInviteIn):
    from django.shortcuts import get_object_or_404

    from . import onboarding
    from .models import Membership
    from .policies import require

    require(request.principal, "core.user.invite")
    organization = get_object_or_404(Organization.objects.all(), pk=payload.organization_id)
    invitation = onboarding.user_invite(
        principal=request.principal, organization=organization, role=payload.role, email=payload.email,
        first_name=payload.first_name, last_name=payload.last_name, title=payload.title, request=request,
    )
    membership = Membership.objects.select_related("user", "organization").get(user=invitation.user)
    return Status(201, _user_out(membership))


def _user_action(request, user_id, action):
    from .models import Membership

    membership = selectors.user_get(principal=request.principal, user_id=user_id)
    action(principal=request.principal, user=membership.user, request=request)
    return Status(200, _user_out(Membership.objects.select_related("user", "organization").get(pk=membership.pk)))


@router.post("/users/{user_id}/deactivate", response={200: AccountOut, 403: ErrorOut, 404: ErrorOut},
             summary="Deactivate an account: sessions end, API tokens are revoked, everything it owns stays")
def user_deactivate(request, user_id: int):
    from . import onboarding

    return _user_action(request, user_id, onboarding.user_deactivate)


@router.post("/users/{user_id}/reactivate", response={200: AccountOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
             summary="Give a deactivated account its access back")
def user_reactivate(request, user_id: int):
    from . import onboarding

    return _user_action(request, user_id, onboarding.user_reactivate)


@router.post("/users/{user_id}/invitation", response={200: AccountOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
             summary="Send the invitation again (the earlier link stops working)")
def invitation_resend(request, user_id: int):
    from . import onboarding

    return _user_action(request, user_id, onboarding.invitation_resend)


# --- the audit log (issue 17 part 5; keychannel/core/audit.py) ------------------------------------------------


@router.get("/audit", response={200: AuditPageOut, 403: ErrorOut, 422: ValidationErrorOut},
            summary="The network-wide audit log, newest first (administrator, program manager)")
def audit_log(request, filters: Query[AuditFilter]):
    """Every recorded change across the network, readable: who, the record by name, changes with names and labels.
    Paged by cursor: pass ``next_cursor`` as ``cursor`` until it is null."""
    principal = request.principal
    values = filters.model_dump()
    limit, cursor = values.pop("limit"), values.pop("cursor")
    rows = list(selectors.audit_log(principal=principal, filters=values, cursor=cursor)[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    from .audit import cursor_of

    next_cursor = cursor_of(rows[-1]) if more else None
    items = [{
        "history_id": row["history_id"], "date": row["history_date"], "user_id": row["history_user_id"],
        "user": row["who"], "action": row["history_type"], "action_label": row["action"], "model": row["log_model"],
        "record_type": row["record_type"], "object_id": row["log_object_id"], "record": row["record"],
        "distributor_id": row["log_distributor"], "distributor": row["distributor_name"], "changes": row["changes"],
    } for row in selectors.audit_describe(principal=principal, rows=rows)]
    return {"items": items, "next_cursor": next_cursor}


@router.get("/search", response={200: SearchOut, 422: ValidationErrorOut}, summary="Search every record I may see")
def search_all(request, q: str = Query(..., max_length=100), types: str = Query("", max_length=300),
               limit: int = Query(search.DEFAULT_LIMIT, ge=1, le=search.MAX_LIMIT)):
    """Clients, stakeholders, deals, distributors, people, registrations, conflicts, events and documents the
    caller may see, grouped by type, best first (``core/search.py``, the same selector as the ``/search/`` page).

    ``types``: comma-separated keys to search (default: all); ``limit``: hits per type."""
    wanted = [t.strip() for t in types.split(",") if t.strip()]
    known = search.source_keys()
    errors = []
    if unknown := [t for t in wanted if t not in known]:
        errors.append({"loc": ["query", "types"], "type": "value_error",
                       "msg": _("Unknown type: %(types)s. Known types: %(known)s.")
                       % {"types": ", ".join(unknown), "known": ", ".join(known)}})
    if search.parse_query(q) is None:
        errors.append({"loc": ["query", "q"], "type": "value_error",
                       "msg": _("Type at least two letters or digits.")})
    if errors:
        return Status(422, {"detail": errors})
    groups = search.search(request.principal, q, types=wanted or None, limit=limit)
    return {"q": q, "types": wanted or known,
            "groups": [{"type": g.key, "label": g.label, "hits": g.hits} for g in groups]}


# --- the cockpit (issue 22): what the home page shows, one panel per request as the page loads them -------------


class CockpitPanelRefOut(Schema):
    key: str
    title: str


class CockpitItemOut(Schema):
    label: str
    url: str
    detail: str
    badge: str
    tone: str


class CockpitFigureOut(Schema):
    label: str
    value: str
    url: str
    detail: str
    tone: str


class CockpitPanelOut(Schema):
    key: str
    title: str
    shown: bool = Field(description="False when the panel has nothing to say to the caller (the page leaves it out).")
    items: list[CockpitItemOut]
    figures: list[CockpitFigureOut]
    total: int | None = Field(None, description="All the rows when there are more than the items listed.")
    more_url: str
    note: str
    empty: str


@router.get("/cockpit", response=list[CockpitPanelRefOut], summary="The caller's cockpit panels")
def cockpit_panel_list(request):
    """The panels of the caller's home page, in order; each is read from ``/cockpit/{key}``."""
    from .cockpit import registered_panels

    principal = request.principal
    return [{"key": p.key, "title": str(p.title)} for p in registered_panels() if p.allowed(principal)]


@router.get("/cockpit/{key}", response={200: CockpitPanelOut, 404: ErrorOut}, summary="One cockpit panel")
def cockpit_panel(request, key: str):
    """One panel of the caller's home page, built for the caller alone (404 for a panel their role does not see)."""
    from django.http import Http404
    from django.utils import timezone

    from .cockpit import allowed_panel, build_panel, one_build, panel_json

    principal = request.principal
    panel = allowed_panel(principal, key)
    if panel is None:
        raise Http404
    with one_build():
        return panel_json(panel, build_panel(panel, principal, timezone.localdate()))

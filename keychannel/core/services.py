"""Writes of the core app: API tokens, notifications, security events."""

import contextvars
import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import lockout
from .choices import NotificationDelivery, OrganizationKind, Role, SecurityEventKind
from .client_ip import client_ip
from .events import NOTIFICATION_TYPES
from .models import (
    ApiToken,
    Membership,
    Notification,
    NotificationPreference,
    Organization,
    SecurityEvent,
    hash_token,
)
from .notifications import notification_send  # noqa: F401 - the one way to notify a user, imported from here
from .policies import require
from .scoping import REACH_COLUMN, with_reach

logger = logging.getLogger(__name__)


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return client_ip(request) or None


def api_token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.KEYCHANNEL_API_TOKEN_DAYS)


@transaction.atomic
def api_token_create(*, principal, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Create a personal token; returns the token and the raw value, which is never stored.

    It expires after KEYCHANNEL_API_TOKEN_DAYS (or earlier, when asked), and a user holds at most
    KEYCHANNEL_API_TOKENS_PER_USER live tokens: a forgotten token does not stay valid for ever.
    """
    require(principal, "core.apitoken.manage")
    now = timezone.now()
    latest = now + api_token_lifetime()
    if expires_at is None:
        expires_at = latest
    elif expires_at > latest:
        raise ValidationError({"expires_at": _("A token can live %(days)s days at most: choose an earlier date.")
                               % {"days": settings.KEYCHANNEL_API_TOKEN_DAYS}})
    # The user's row lock queues simultaneous creations, so two of them cannot both pass the cap.
    get_user_model().objects.select_for_update().filter(pk=principal.user.pk).first()
    cap = settings.KEYCHANNEL_API_TOKENS_PER_USER
    if ApiToken.objects.active(now).filter(user=principal.user).count() >= cap:
        raise ValidationError(_("You already have %(cap)s active API tokens, the most allowed: revoke one on your "
                                "profile page first.") % {"cap": cap})
    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        user=principal.user,
        name=name.strip()[:100],
        key_hash=hash_token(raw),
        hint=raw[:10],
        expires_at=expires_at,
    )
    security_event_record(
        kind=SecurityEventKind.TOKEN_CREATED, principal=principal, action="core.apitoken.create", detail=token.name
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, principal, token: ApiToken) -> ApiToken:
    require(principal, "core.apitoken.manage", token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        security_event_record(
            kind=SecurityEventKind.TOKEN_REVOKED, principal=principal, action="core.apitoken.revoke", detail=token.name
        )
    return token


def api_tokens_revoke_all(*, user, reason: str, request=None) -> int:
    """Revoke every live token of ``user`` (password changed, deactivated, "log out everywhere")."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), updated_at=timezone.now()
    )
    if count:
        security_event_record(
            kind=SecurityEventKind.TOKEN_REVOKED, request=request, username=user.get_username(),
            action="core.apitoken.revoke_all", detail=f"{count} token(s): {reason}",
        )
    return count


def _end_sessions(user) -> int:
    """Delete every stored session of ``user``. Sessions are not indexed by user, so each live one is decoded:
    a rare, deliberate action, linear in the number of live sessions of the whole installation."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def logout_everywhere(*, principal, request=None) -> dict:
    """Revoke every API token of the caller and end all their sessions (this one included)."""
    require(principal, "core.apitoken.manage")
    user = principal.user
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        raise ImproperlyConfigured("logout_everywhere needs database-backed sessions")
    tokens = api_tokens_revoke_all(user=user, reason="log out everywhere", request=request)
    sessions = _end_sessions(user)
    security_event_record(kind=SecurityEventKind.TOKEN_REVOKED, request=request, principal=principal,
                          action="core.logout_everywhere", detail=f"{tokens} token(s), {sessions} session(s)")
    return {"revoked_tokens": tokens, "ended_sessions": sessions}


def api_token_check(raw: str):
    """(user, "") for an active token; (None, why) otherwise — why is "" for a value that is no token of ours."""
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None, ""
    # One query for the token, its user, the user's membership and organisation (the principal, /me); no
    # ordering for one row (key_hash is unique; first() would add ORDER BY id).
    # And a distributor user's reach (core.scoping.with_reach): one round trip less on each of their requests.
    token = next(iter(with_reach(
        ApiToken.objects.select_related("user", "user__membership", "user__membership__organization")
        .filter(key_hash=hash_token(raw))).order_by()[:1]
    ), None)
    if token is None:
        return None, ""
    if hasattr(token, REACH_COLUMN) and hasattr(token.user, "membership"):
        setattr(token.user.membership, REACH_COLUMN, getattr(token, REACH_COLUMN))
    now = timezone.now()
    if token.revoked_at is not None:
        return None, _("This API token was revoked.")
    if token.expires_on() <= now:
        return None, _("This API token has expired: create a new one on your profile page.")
    if not token.user.is_active:
        return None, _("This account is deactivated.")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, ""


def api_token_authenticate(raw: str):
    """Return the user of an active token, touching its last-used time at most once a minute."""
    return api_token_check(raw)[0]


def notification_mark_read(*, principal, notification_ids=None) -> int:
    qs = Notification.objects.filter(recipient=principal.user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


# The kinds recorded while serving the current request (RefusalAuditMiddleware resets it): a 403 whose service
# already recorded the forbidden write is not recorded twice.
recorded_kinds: contextvars.ContextVar[frozenset] = contextvars.ContextVar("recorded_kinds", default=frozenset())


@transaction.atomic
def notification_preferences_set(*, principal, choices: dict[str, str]) -> int:
    """Set how the user receives each given event type; returns how many changed. Unknown types or deliveries are
    refused, and then nothing is changed."""
    require(principal, "core.notification_preferences.manage")
    unknown = sorted(set(choices) - set(NOTIFICATION_TYPES))
    if unknown:
        raise ValidationError(_("Unknown notification type: %(types)s.") % {"types": ", ".join(unknown)})
    wrong = sorted(name for name, value in choices.items() if value not in NotificationDelivery.values)
    if wrong:
        raise ValidationError(_("Choose in the app only, at once by e-mail or a daily digest for: %(types)s.")
                              % {"types": ", ".join(wrong)})
    user = principal.user
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # two saves of one user queue up
    current = {p.event_type: p for p in NotificationPreference.objects.select_for_update().filter(user=user)}
    changed = 0
    for name, value in choices.items():
        row = current.get(name)
        if row is None:
            if value != NotificationPreference.DEFAULT_DELIVERY:
                NotificationPreference.objects.create(user=user, event_type=name, delivery=value)
                changed += 1
        elif row.delivery != value:
            row.delivery = value
            row.save(update_fields=["delivery", "updated_at"])
            changed += 1
    return changed


def security_event_record(*, kind, request=None, principal=None, username="", action="", detail="", ip_address=None):
    """Record outside the caller's transaction so that a rolled-back forbidden write still leaves its trace."""
    recorded_kinds.set(recorded_kinds.get() | {kind})
    user = getattr(principal, "user", None)
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username or (user.get_username() if user else ""),
        action=action[:120],
        path=(request.path[:300] if request is not None else ""),
        method=(request.method if request is not None else ""),
        ip_address=ip_address or _client_ip(request),
        detail=detail,
    )


def login_lockout_clear(*, principal, request=None, username: str = "", ip_address: str = "") -> int:
    """An administrator lifts a login lockout: a username's (from every address) or an address's."""
    require(principal, "core.lockout.clear")
    username, ip_address = (username or "").strip()[:150], (ip_address or "").strip()[:45]
    count = lockout.clear(username=username, ip_address=ip_address)
    security_event_record(
        kind=SecurityEventKind.LOGIN_LOCKOUT,
        request=request,
        principal=principal,
        action="core.lockout.clear",
        detail=f"unlocked {username or ip_address}",
    )
    return count


DEFAULT_MANUFACTURER_NAME = "Manufacturer"


@transaction.atomic
def administrator_membership_ensure(*, user, organization_name: str = "") -> Membership:
    """Make ``user`` an administrator of the manufacturer (created when there is none yet).

    For the first start (``keychannel createadmin``) and for a ``createsuperuser`` account logging in
    without a membership: a superuser already holds every power of the Django admin, so the role
    gives nothing new, it only lets the account use the application.
    """
    manufacturer = Organization.objects.filter(kind=OrganizationKind.MANUFACTURER).first()
    if manufacturer is None:
        manufacturer = Organization.objects.create(
            kind=OrganizationKind.MANUFACTURER, name=(organization_name or DEFAULT_MANUFACTURER_NAME).strip()[:200]
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, defaults={"organization": manufacturer, "role": Role.ADMIN}
    )
    return membership


@transaction.atomic
def preferences_update(*, principal, language: str | None = None, time_zone: str | None = None) -> Membership:
    """The user's own language and/or time zone ("" = the browser's language / the default time zone)."""
    from .preferences import forget, is_time_zone, language_codes

    membership = Membership.objects.select_for_update().filter(user=principal.user).first()
    if membership is None:
        raise ValidationError(_("Only members of an organisation keep a language and a time zone."))
    if language is not None:
        if language and language not in language_codes():
            raise ValidationError({"language": _("Choose a language from the list.")})
        membership.language = language
    if time_zone is not None:
        if time_zone and not is_time_zone(time_zone):
            raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
        membership.time_zone = time_zone
    membership.save(update_fields=["language", "time_zone", "updated_at"])
    forget(principal.user)
    return membership


def security_events_purge(*, days: int | None = None) -> int:
    """Delete security events older than ``days`` (settings.KEYCHANNEL_SECURITY_EVENT_DAYS): the retention rule."""
    days = settings.KEYCHANNEL_SECURITY_EVENT_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _by_model = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted

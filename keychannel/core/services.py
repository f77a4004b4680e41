"""Writes of the core app: API tokens, notifications, security events."""

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .choices import SecurityEventKind
from .models import ApiToken, Notification, SecurityEvent, hash_token
from .policies import require

logger = logging.getLogger(__name__)


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def api_token_create(*, principal, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Create a personal token; returns the token and the raw value, which is never stored."""
    require(principal, "core.apitoken.manage")
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


def api_token_authenticate(raw: str):
    """Return the user of an active token, touching its last-used time at most once a minute."""
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def notification_send(*, recipient, title: str, body: str = "", url: str = "") -> Notification:
    """In-app notification, mailed too when the recipient has an address. Mail failure never breaks the write."""
    note = Notification.objects.create(recipient=recipient, title=title[:200], body=body, url=url[:300])
    if recipient.email:
        def _mail():
            try:
                send_mail(title, f"{body}\n\n{url}".strip(), None, [recipient.email], fail_silently=False)
            except Exception:  # noqa: BLE001 - delivery problems are logged, the notification stays in-app
                logger.exception("could not e-mail notification %s", note.pk)

        transaction.on_commit(_mail)
    return note


def notification_mark_read(*, principal, notification_ids=None) -> int:
    qs = Notification.objects.filter(recipient=principal.user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


def security_event_record(*, kind, request=None, principal=None, username="", action="", detail="", ip_address=None):
    """Record outside the caller's transaction so that a rolled-back forbidden write still leaves its trace."""
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

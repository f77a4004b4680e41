"""Lockouts become security events that manufacturer admins review; superusers get a role at login."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .choices import SecurityEventKind


@receiver(user_locked_out)
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    from .services import security_event_record

    security_event_record(
        kind=SecurityEventKind.LOGIN_LOCKOUT,
        request=request,
        username=username or "",
        ip_address=ip_address,
        detail="too many failed logins",
    )


@receiver(user_login_failed)
def record_login_failure(sender, credentials=None, request=None, **kwargs):
    """Every refused login (wrong password, unknown user, locked out) is a security event; the lockout bounds them."""
    from .services import security_event_record

    username = str((credentials or {}).get("username") or "")[:150]
    security_event_record(kind=SecurityEventKind.LOGIN_FAILED, request=request, username=username,
                          action="core.login", detail="login refused")


@receiver(user_logged_in)
def give_superuser_a_role(sender, request=None, user=None, **kwargs):
    """A ``createsuperuser`` account has no membership: make it the manufacturer's administrator at login.

    Done at login rather than when the user is saved, so that code creating a superuser and then its own
    membership (tests, benchmarks, imports) is not overtaken.
    """
    if user is None or not user.is_superuser:
        return
    from .models import Membership
    from .services import administrator_membership_ensure

    if not Membership.objects.filter(user=user).exists():
        administrator_membership_ensure(user=user)

"""Lockouts become security events that manufacturer admins review."""

from axes.signals import user_locked_out
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

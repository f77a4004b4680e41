from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    DISTRIBUTOR = "distributor", _("Distributor")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    EXECUTIVE = "executive", _("Executive")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    MENTOR = "mentor", _("Mentor")
    EMBEDDED_KAM = "embedded_kam", _("Embedded key-account manager")
    DIST_HEAD = "dist_head", _("Distributor head")
    DIST_SALES = "dist_sales", _("Distributor salesperson")


MANUFACTURER_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.PROGRAM_MANAGER,
        Role.EXECUTIVE,
        Role.CHANNEL_MANAGER,
        Role.MENTOR,
        Role.EMBEDDED_KAM,
    }
)
DISTRIBUTOR_ROLES = frozenset({Role.DIST_HEAD, Role.DIST_SALES})
# Roles that read every distributor's data (DESIGN.md §2, first column).
NETWORK_WIDE_ROLES = frozenset({Role.ADMIN, Role.PROGRAM_MANAGER, Role.EXECUTIVE})


class SecurityEventKind(models.TextChoices):
    FORBIDDEN_WRITE = "forbidden_write", _("Forbidden write attempt")
    LOGIN_LOCKOUT = "login_lockout", _("Login locked out")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    USER_INVITED = "user_invited", _("User invited")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated")
    USER_REACTIVATED = "user_reactivated", _("User reactivated")
    LOGIN_FAILED = "login_failed", _("Login failed")
    REFUSED = "refused", _("Refused (not allowed)")
    RATE_LIMITED = "rate_limited", _("Refused (too many requests)")


class NotificationDelivery(models.TextChoices):
    """How a user receives one type of notification (docs/notifications.md)."""

    IMMEDIATE = "immediate", _("In the app and by e-mail at once")
    DIGEST = "digest", _("In the app and in a daily e-mail digest")
    IN_APP = "in_app", _("In the app only")

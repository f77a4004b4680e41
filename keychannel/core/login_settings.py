"""Sign-in settings per organisation (issue 16): whether its people may sign in with a local password, or with
single sign-on only (``Organization.password_login``). The administrator keeps them on a page and in the API."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import Role
from .models import Organization
from .policies import require, rule


@rule("core.organization.login_settings")
def _keep_login_settings(principal, organization=None) -> bool:
    return principal.has_role(Role.ADMIN)


def organization_list(*, principal):
    """Every organisation with its sign-in setting (the administrator only)."""
    require(principal, "core.organization.login_settings")
    return Organization.objects.order_by("kind", "name", "pk")


@transaction.atomic
def organization_login_settings_update(*, principal, organization: Organization, password_login: bool) -> Organization:
    """Turn local passwords on or off for one organisation. Off needs single sign-on configured, and the
    administrator's own organisation never goes off (the one who could turn it back on would be locked out)."""
    require(principal, "core.organization.login_settings", organization)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not password_login:
        if not settings.KEYCHANNEL_SSO_ENABLED:
            raise ValidationError({"password_login": _(
                "Single sign-on is not configured: without local passwords nobody of this organisation could sign in.")})
        if organization.pk == principal.organization_id:
            raise ValidationError({"password_login": _(
                "Your own organisation keeps local passwords: otherwise you could lock yourself out.")})
    if organization.password_login != password_login:
        organization.password_login = password_login
        organization.save(update_fields=["password_login", "updated_at"])
    return organization

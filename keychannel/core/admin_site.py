"""The Django admin, open to manufacturer administrators only."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

from .choices import Role


class KeychannelAdminSite(admin.AdminSite):
    site_header = _("keychannel administration")
    site_title = _("keychannel")

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        principal = getattr(request, "principal", None)
        return principal is not None and principal.role == Role.ADMIN


class KeychannelAdminConfig(AdminConfig):
    default_site = "keychannel.core.admin_site.KeychannelAdminSite"

"""The Django admin, open to superusers with the administrator role only (issue 16: everything people do is in
the product; the admin site is the engineers' tool and is linked from nowhere in the product)."""

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
        return request.user.is_superuser and principal is not None and principal.role == Role.ADMIN


class KeychannelAdminConfig(AdminConfig):
    default_site = "keychannel.core.admin_site.KeychannelAdminSite"

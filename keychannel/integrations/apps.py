from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "keychannel.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from keychannel.core.choices import Role
        from keychannel.core.events import register_listener
        from keychannel.core.navigation import register_nav

        from . import policies  # noqa: F401  (registers write rules)
        from .services import on_event

        register_listener(on_event)
        register_nav(_("Webhooks"), "integrations:webhook_list", icon="broadcast",
                     roles=[Role.ADMIN, Role.PROGRAM_MANAGER, Role.DIST_HEAD], order=90)

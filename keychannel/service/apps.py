from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "keychannel.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self):
        from keychannel.core.navigation import register_nav, register_panel
        from keychannel.core.satisfaction import register_client_satisfaction

        from . import (
            policies,  # noqa: F401  (registers write rules)
            satisfaction,
        )

        register_client_satisfaction(satisfaction.by_client)

        register_nav(_("Service cases"), "service:case_list", icon="life-preserver", order=60)
        register_panel("clients.client", "service:client_panel", order=10)
        register_panel("program.scorecard", "service:distributor_panel", order=10)
        register_panel("sales.segments", "service:segment_panel", order=10)
        register_nav(_("Service levels report"), "service:report", icon="speedometer2", order=61)

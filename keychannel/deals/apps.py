from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "keychannel.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self):
        from keychannel.core.navigation import register_home_figure, register_nav

        from . import policies  # noqa: F401  (registers write rules)
        from .selectors import opportunity_count

        register_nav(_("Pipeline"), "deals:pipeline", icon="kanban", order=30)
        register_nav(_("Deals"), "deals:opportunity_list", icon="briefcase", order=31)
        register_nav(_("Corporate contracts"), "deals:contract_list", icon="file-earmark-text", order=32)
        register_nav(_("Forecast"), "deals:forecast", icon="graph-up-arrow", order=33)
        register_home_figure(_("Open deals you can see"), opportunity_count, url_name="deals:pipeline", order=30)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "keychannel.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self):
        from keychannel.core.deletion import register_deletable
        from keychannel.core.navigation import register_home_figure, register_nav

        from . import models, policies  # noqa: F401  (registers write rules)
        from .selectors import client_count

        register_deletable(
            models.CorporateClient, models.Stakeholder, models.StakeholderContact, models.StakeholderLink,
            models.AccountObjective, models.AccountAction, models.AccountCompetitor,
        )

        register_nav(_("Clients"), "clients:client_list", icon="briefcase", order=20)
        register_nav(_("Clients at risk"), "clients:at_risk", icon="exclamation-triangle", order=21)
        register_home_figure(_("Clients you can see"), client_count, url_name="clients:client_list", order=20)

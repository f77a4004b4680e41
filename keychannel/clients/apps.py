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
        from keychannel.core.choices import Role
        from keychannel.core.cockpit import register_cockpit_panel

        from . import selectors as s

        register_cockpit_panel("clients.my_actions", _("My account-plan actions"), s.cockpit_my_actions,
                               roles=[Role.DIST_SALES, Role.DIST_HEAD, Role.EMBEDDED_KAM, Role.MENTOR], order=30,
                               icon="check2-square", empty=_("No action of yours is due in the next two weeks."))
        register_cockpit_panel("clients.at_risk", _("My clients' coverage gaps"), s.cockpit_clients_at_risk,
                               roles=[Role.EMBEDDED_KAM, Role.MENTOR], order=40, icon="diagram-2",
                               more_url_name="clients:at_risk", empty=_("No client of yours is at risk."))
        from keychannel.core.search import register_search_source

        from . import search

        register_search_source("clients", _("Clients"), search.find_clients, icon="building", order=10)
        register_search_source("stakeholders", _("Stakeholders"), search.find_stakeholders, icon="person-badge",
                               order=20)

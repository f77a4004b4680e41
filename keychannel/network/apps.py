from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "keychannel.network"
    label = "network"
    verbose_name = _("Distributor network")

    def ready(self):
        from keychannel.core.choices import Role
        from keychannel.core.history import register_history_redaction
        from keychannel.core.navigation import register_home_figure, register_nav
        from keychannel.core.scoping import register_reach

        from . import policies  # noqa: F401  (registers write rules)
        from .redaction import (
            distributor_hidden_fields,
            interaction_hidden_fields,
            relationship_hidden_fields,
        )
        from .selectors import (
            distributor_count,
            distributors_managed_by,
            distributors_of_membership,
            distributors_of_organization,
        )

        register_reach(Role.CHANNEL_MANAGER, distributors_managed_by)
        register_reach(Role.DIST_HEAD, distributors_of_organization, in_statement=distributors_of_membership)
        register_reach(Role.DIST_SALES, distributors_of_organization, in_statement=distributors_of_membership)
        register_history_redaction("network.distributor", distributor_hidden_fields)
        register_history_redaction("network.relationship", relationship_hidden_fields)
        register_history_redaction("network.interaction", interaction_hidden_fields)
        register_nav(_("Distributors"), "network:distributor_list", icon="buildings", order=10)
        manufacturer = [r for r in Role if r not in (Role.DIST_HEAD, Role.DIST_SALES)]
        register_nav(_("Alignment quadrant"), "network:distributor_quadrant", icon="grid-1x2", roles=manufacturer, order=11)
        register_nav(_("Coverage"), "network:coverage_matrix", icon="grid-3x3", roles=manufacturer, order=12)
        register_nav(_("Relationship health"), "network:relationship_health", icon="people", roles=manufacturer, order=14)
        register_nav(_("Playbooks"), "network:playbook_list", icon="journal-text", roles=manufacturer, order=13)
        register_nav(_("Territories"), "network:territory_list", icon="map", order=80)
        register_nav(_("Product lines"), "network:productline_list", icon="box-seam", order=81)
        register_home_figure(_("Distributors you can see"), distributor_count, url_name="network:distributor_list", order=10)
        from keychannel.core.cockpit import register_attention, register_cockpit_panel

        from . import cockpit_selectors as s

        register_cockpit_panel("network.my_distributors", _("My distributors by attention needed"), s.my_distributors,
                               roles=[Role.CHANNEL_MANAGER], order=5, icon="buildings",
                               more_url_name="network:distributor_list", empty=_("You manage no distributor."))
        register_cockpit_panel("network.relationships", _("Relationships to look after"), s.relationship_flags,
                               roles=[Role.EXECUTIVE, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER], order=35,
                               icon="people", more_url_name="network:relationship_health",
                               empty=_("Every relationship is healthy."))
        register_attention("network.stale", _("Stale top relationships"), s.attention_stale_relationships, weight=1,
                           order=20)
        from keychannel.core.search import register_search_source

        from . import search

        register_search_source("distributors", _("Distributors"), search.find_distributors, icon="shop", order=40)
        register_search_source("people", _("People"), search.find_people, icon="people", order=50)

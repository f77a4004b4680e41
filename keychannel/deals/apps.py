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
        from keychannel.core.choices import Role
        from keychannel.core.cockpit import register_cockpit_panel

        from . import cockpit_panels as s

        register_cockpit_panel("deals.won", _("Won this year"), s.cockpit_won_this_year,
                               roles=[Role.EXECUTIVE, Role.PROGRAM_MANAGER, Role.ADMIN], order=5, icon="trophy",
                               more_url_name="deals:contract_list", empty=_("Nothing won yet this year."))
        register_cockpit_panel("deals.at_risk", _("Deals at risk"), s.cockpit_deals_at_risk, roles=[Role.DIST_HEAD],
                               order=20, icon="exclamation-triangle", more_url_name="deals:opportunity_list",
                               empty=_("Every open deal has a next step on time."))
        register_cockpit_panel("deals.next_steps", _("My deals needing a next step"), s.cockpit_my_next_steps,
                               roles=[Role.DIST_SALES], order=10, icon="signpost-split",
                               more_url_name="deals:opportunity_list",
                               empty=_("Every open deal of yours has a next step on time."))
        register_cockpit_panel("deals.team", _("My salespeople's activity"), s.cockpit_team_activity,
                               roles=[Role.DIST_HEAD], order=50, icon="people", more_url_name="deals:pipeline")
        from keychannel.core.search import register_search_source

        from . import search

        register_search_source("deals", _("Deals"), search.find_deals, icon="briefcase", order=30)

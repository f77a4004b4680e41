from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "keychannel.program"
    label = "program"
    verbose_name = _("Program")

    def ready(self):
        from keychannel.channel.benefits import register_protection_days, register_registration_restriction
        from keychannel.core.choices import Role
        from keychannel.core.navigation import register_home_figure, register_nav

        from . import policies  # noqa: F401  (registers write rules)
        from .levels import protection_days_provider
        from .selectors import home_pending_acknowledgements

        register_nav(_("Program"), "program:program_list", icon="flag", order=40)
        register_nav(_("Events"), "program:event_list", icon="calendar-event", order=41)
        register_nav(
            _("Support"), "program:support_list", icon="cash-coin", order=42,
            roles=[r for r in Role if r != Role.DIST_SALES],
        )
        register_nav(_("Learning"), "program:course_list", icon="mortarboard", order=43)
        register_nav(_("Best practices"), "program:bestpractice_list", icon="lightbulb", order=44)
        register_nav(_("Scorecards"), "program:scorecard_list", icon="clipboard-data", order=39,
                     roles=[r for r in Role if r != Role.DIST_SALES])
        register_nav(_("Corporate tiers"), "program:tier_list", icon="award", order=45)
        register_home_figure(_("Program rules to acknowledge"), home_pending_acknowledgements,
                             url_name="program:program_list", order=40)
        # A distributor's program level sets its registration protection period (channel cannot import program).
        register_protection_days(protection_days_provider)
        # A restriction in force (docs/rules.md) refuses new registrations in the product line it names.
        from .rule_conditions import registration_restriction_provider

        register_registration_restriction(registration_restriction_provider)
        from keychannel.core.cockpit import register_attention, register_cockpit_panel

        from . import cockpit_selectors as s

        office = [Role.ADMIN, Role.PROGRAM_MANAGER]
        register_cockpit_panel("program.network_goals", _("Network goals"), s.network_goals,
                               roles=[*office, Role.EXECUTIVE], order=10, icon="bullseye",
                               more_url_name="program:program_list", empty=_("No running program has network goals."))
        register_cockpit_panel("program.behind", _("Distributors furthest behind"), s.distributors_behind,
                               roles=[*office, Role.EXECUTIVE], order=20, icon="graph-down-arrow",
                               more_url_name="program:program_list", empty=_("No distributor is behind plan."))
        register_cockpit_panel("program.approvals", _("Support and appeals to decide"), s.approvals, roles=office,
                               order=32, icon="cash-coin", more_url_name="program:support_list",
                               empty=_("Nothing waits for a decision."))
        register_cockpit_panel("program.signoff", _("Sign-off"), s.signoff_state, roles=[*office, Role.EXECUTIVE],
                               order=12, icon="pen", more_url_name="program:program_list",
                               empty=_("No program awaits sign-off."))
        register_cockpit_panel("program.acknowledgements", _("Rules not yet acknowledged"), s.acknowledgements_missing,
                               roles=office, order=41, icon="check2-all",
                               empty=_("Every distributor has acknowledged the published rules."))
        register_cockpit_panel("program.events", _("Events this week"), s.events_this_week, roles=list(Role), order=90,
                               icon="calendar-event", more_url_name="program:event_list", empty=_("No event this week."),
                               lazy=False)  # one short statement: built in the home shell (core/cockpit.py)
        register_cockpit_panel("program.my_goals", _("My goals and incentives"), s.my_goals, roles=[Role.DIST_HEAD],
                               order=10, icon="bullseye", empty=_("No goals in a running program."))
        register_cockpit_panel("program.my_support", _("Support budget and claims"), s.my_support,
                               roles=[Role.DIST_HEAD], order=40, icon="cash-coin", more_url_name="program:support_list")
        register_cockpit_panel("program.rules_to_ack", _("Rules to acknowledge"), s.rules_to_acknowledge,
                               roles=[Role.DIST_HEAD], order=41, icon="check2-square",
                               empty=_("Every published rule is acknowledged."))
        register_attention("program.behind", _("Goals behind"), s.attention_goals_behind, weight=2, order=10)
        from keychannel.core.search import register_search_source

        from . import search

        register_search_source("events", _("Events"), search.find_events, icon="calendar-event", order=80)
        register_search_source("documents", _("Documents"), search.find_documents, icon="file-earmark-text", order=90)

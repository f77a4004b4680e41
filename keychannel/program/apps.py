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
        register_nav(_("Corporate tiers"), "program:tier_list", icon="award", order=45)
        register_home_figure(_("Program rules to acknowledge"), home_pending_acknowledgements,
                             url_name="program:program_list", order=40)
        # A distributor's program level sets its registration protection period (channel cannot import program).
        register_protection_days(protection_days_provider)
        # A restriction in force (docs/rules.md) refuses new registrations in the product line it names.
        from .rule_conditions import registration_restriction_provider

        register_registration_restriction(registration_restriction_provider)

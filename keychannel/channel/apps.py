from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelConfig(AppConfig):
    name = "keychannel.channel"
    label = "channel"
    verbose_name = _("Channel")

    def ready(self):
        from keychannel.core.choices import Role
        from keychannel.core.history import register_history_redaction
        from keychannel.core.navigation import register_home_figure, register_nav

        from . import policies  # noqa: F401  (registers write rules)
        from .redaction import conflict_hidden_fields
        from .selectors import open_conflict_count, pending_decision_count

        register_nav(_("Registrations"), "channel:registration_list", icon="flag", order=30)
        register_nav(_("Conflicts"), "channel:conflict_list", icon="exclamation-octagon", order=31)
        register_nav(_("Leads"), "channel:lead_list", icon="send", order=32)
        register_nav(
            _("Channel figures"), "channel:figures", icon="bar-chart",
            roles=[Role.ADMIN, Role.PROGRAM_MANAGER, Role.EXECUTIVE, Role.CHANNEL_MANAGER], order=33,
        )
        register_home_figure(_("Registrations pending"), pending_decision_count, url_name="channel:registration_list",
                             order=30)
        register_history_redaction("channel.conflict", conflict_hidden_fields)
        # The rules that hold on every path (docs/rules.md): the deals and clients apps call us through these.
        from keychannel.clients.signals import duplicate_confirmed
        from keychannel.deals.gate import register_deal_gate

        from .gate import deal_gate, watch_confirmed_duplicate

        register_deal_gate(deal_gate)
        from keychannel.deals.gate import register_policy_setting

        from .models import ChannelPolicy

        register_policy_setting("product_test_needs_manufacturer_signoff",
                                lambda: ChannelPolicy.current().product_test_needs_manufacturer_signoff)
        duplicate_confirmed.connect(watch_confirmed_duplicate, dispatch_uid="channel.watch_confirmed_duplicate")
        register_home_figure(_("Open conflicts"), open_conflict_count, url_name="channel:conflict_list", order=31)
        from keychannel.core.cockpit import register_attention, register_cockpit_panel

        from . import selectors as s

        office = [Role.ADMIN, Role.PROGRAM_MANAGER]
        register_cockpit_panel("channel.decisions", _("Registrations waiting for your decision"), s.cockpit_decisions,
                               roles=[*office, Role.CHANNEL_MANAGER], order=30, icon="flag",
                               more_url_name="channel:registration_list", empty=_("No registration waits for you."))
        register_cockpit_panel("channel.conflicts", _("Open conflicts by due date"), s.cockpit_conflicts,
                               roles=[*office, Role.CHANNEL_MANAGER, Role.EXECUTIVE], order=31,
                               icon="exclamation-octagon", more_url_name="channel:conflict_list",
                               empty=_("No open conflict."))
        register_cockpit_panel("channel.expiring", _("Registrations about to expire"), s.cockpit_expiring,
                               roles=[Role.CHANNEL_MANAGER, Role.DIST_HEAD], order=33, icon="hourglass-split",
                               more_url_name="channel:registration_list",
                               empty=_("No protection ends in the next two weeks."))
        register_cockpit_panel("channel.my_registrations", _("My registrations"), s.cockpit_my_registrations,
                               roles=[Role.DIST_SALES], order=20, icon="flag", more_url_name="channel:registration_list",
                               empty=_("No registration of yours is pending or protected."))
        register_attention("channel.pending", _("Registrations to decide"), s.attention_pending_registrations,
                           weight=1, order=30)
        register_attention("channel.conflicts_due", _("Conflicts due"), s.attention_conflicts_due, weight=2, order=31)
        register_attention("channel.expiring", _("Registrations expiring"), s.attention_registrations_expiring,
                           weight=1, order=32)
        from keychannel.core.search import register_search_source

        from . import search

        register_search_source("registrations", _("Registrations"), search.find_registrations, icon="flag", order=60)
        register_search_source("conflicts", _("Conflicts"), search.find_conflicts, icon="exclamation-octagon",
                               order=70)

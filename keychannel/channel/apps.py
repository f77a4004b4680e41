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

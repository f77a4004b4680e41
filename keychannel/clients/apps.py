from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "keychannel.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self):
        from . import policies  # noqa: F401  (registers write rules)

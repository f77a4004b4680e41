from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "keychannel.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers system checks and signal handlers)

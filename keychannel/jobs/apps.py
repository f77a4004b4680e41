from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "keychannel.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from keychannel.core.choices import Role
        from keychannel.core.navigation import register_nav

        from . import policies  # noqa: F401  (registers the rule)

        register_nav(_("Background jobs"), "jobs:job_list", icon="gear-wide-connected",
                     roles=[Role.ADMIN, Role.PROGRAM_MANAGER], order=95)

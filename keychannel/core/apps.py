from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "keychannel.core"
    label = "core"
    verbose_name = _("Administration")

    def ready(self):
        from . import checks, login_settings, signals, token_signals  # noqa: F401  (registers system checks and signal handlers)

        token_signals.connect(self)
        from django.db.backends.signals import connection_created

        from .text import register_sqlite_fold

        connection_created.connect(register_sqlite_fold, dispatch_uid="keychannel.core.text.kc_fold")
        from .choices import Role
        from .navigation import register_nav

        register_nav(_("People"), "core:user_list", icon="person-plus", roles=[Role.ADMIN, Role.DIST_HEAD], order=890)
        register_nav(_("Audit log"), "core:audit_log", icon="journal-text", roles=[Role.ADMIN, Role.PROGRAM_MANAGER],
                     order=890)
        register_nav(_("Security events"), "core:securityevent_list", icon="shield-lock",
                     roles=[Role.ADMIN, Role.PROGRAM_MANAGER], order=900)

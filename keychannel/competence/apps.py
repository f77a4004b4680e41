from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetenceConfig(AppConfig):
    name = "keychannel.competence"
    label = "competence"
    verbose_name = _("Competence centre")

    def ready(self):
        from keychannel.core.choices import Role
        from keychannel.core.scoping import register_reach

        from .reach import distributors_mentored_by, distributors_stationed

        register_reach(Role.MENTOR, distributors_mentored_by)
        register_reach(Role.EMBEDDED_KAM, distributors_stationed)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetenceConfig(AppConfig):
    name = "keychannel.competence"
    label = "competence"
    verbose_name = _("Competence centre")

    def ready(self):
        from keychannel.core.choices import MANUFACTURER_ROLES, Role
        from keychannel.core.navigation import register_home_figure, register_nav
        from keychannel.core.scoping import register_reach

        from . import policies  # noqa: F401  (registers write rules)
        from .reach import distributors_mentored_by, distributors_stationed
        from .selectors import open_task_count

        register_reach(Role.MENTOR, distributors_mentored_by)
        register_reach(Role.EMBEDDED_KAM, distributors_stationed)
        manufacturer = MANUFACTURER_ROLES
        register_nav(_("Mentorships"), "competence:mentorship_list", icon="person-video3", order=50)
        register_nav(_("Embedded KAMs"), "competence:assignment_list", icon="person-badge", order=51)
        register_nav(_("KAM tasks"), "competence:kamtask_list", icon="list-check", order=52,
                     roles=[r for r in Role if r != Role.DIST_SALES])
        register_nav(_("Consultations"), "competence:consultation_list", icon="question-circle", order=53)
        register_nav(_("Coverage gaps"), "competence:coverage_gaps", icon="bullseye", roles=manufacturer, order=54)
        register_nav(_("Channel structure"), "competence:structure", icon="diagram-3", roles=manufacturer, order=55)
        register_home_figure(_("Open KAM tasks"), open_task_count, url_name="competence:kamtask_list", order=50)
        from keychannel.core.cockpit import register_cockpit_panel

        from . import selectors as s

        register_cockpit_panel("competence.my_tasks", _("My KAM tasks"), s.cockpit_my_tasks, roles=[Role.EMBEDDED_KAM],
                               order=10, icon="list-check", more_url_name="competence:kamtask_list",
                               empty=_("No open task."))
        register_cockpit_panel("competence.coaching", _("Coaching due"), s.cockpit_coaching_due, roles=[Role.MENTOR],
                               order=10, icon="person-video3", more_url_name="competence:mentorship_list",
                               empty=_("No coaching is due this week."))
        register_cockpit_panel("competence.to_answer", _("Consultations waiting for your answer"),
                               s.cockpit_consultations_for_me, roles=[Role.EMBEDDED_KAM, Role.MENTOR], order=20,
                               icon="question-circle", more_url_name="competence:consultation_list",
                               empty=_("No consultation waits for you."))
        register_cockpit_panel("competence.blocked", _("Blocked KAM tasks"), s.cockpit_blocked,
                               roles=[Role.MENTOR, Role.PROGRAM_MANAGER, Role.ADMIN, Role.CHANNEL_MANAGER], order=36,
                               icon="slash-circle", more_url_name="competence:kamtask_list", empty=_("Nothing is blocked."))
        register_cockpit_panel("competence.my_consultations", _("My consultation requests"), s.cockpit_my_consultations,
                               roles=[Role.DIST_SALES, Role.DIST_HEAD], order=60, icon="chat-left-dots",
                               more_url_name="competence:consultation_list", empty=_("No open request."))

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "keychannel.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from keychannel.core.deletion import register_deletable
        from keychannel.core.navigation import register_nav

        from . import models, policies  # noqa: F401  (registers write rules)

        register_deletable(models.ProductMapping)

        from keychannel.jobs.housekeeping import register_recovery

        from .imports import import_recover

        register_recovery(import_recover)

        from keychannel.jobs.registry import register_job_model

        register_job_model(models.ImportJob)

        register_nav(_("Sales reports"), "sales:report_list", icon="file-earmark-spreadsheet", order=60)
        register_nav(_("Segments"), "sales:segment_list", icon="pie-chart", order=61)
        register_nav(_("Surveys"), "sales:survey_list", icon="chat-square-heart", order=62)

        from django.db.models.signals import post_migrate

        post_migrate.connect(_segment_totals_triggers, sender=self)


def _segment_totals_triggers(sender, using, **kwargs):
    """The segments' yearly totals' triggers after every migrate (segment_totals.py): idempotent, and a test
    database built without migrations gets them too."""
    from django.db import connections

    from . import segment_totals

    connection = connections[using]
    if segment_totals.CLASSES in connection.introspection.table_names():
        segment_totals.install(connection)

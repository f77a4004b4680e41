"""Fill the won roll-ups (0018) from the won deals that exist: a recount, as ``manage.py rollups_rebuild``
does; then VACUUM (ANALYZE) them, so the cockpit's sums are index-only scans from the start (core.migration_ops).
Not atomic: VACUUM cannot run in a transaction (the fill runs in its own)."""

from django.db import migrations

from keychannel.core.migration_ops import VacuumAnalyze


def fill(apps, schema_editor):
    from keychannel.deals.won_rollups import rebuild

    rebuild(apps.get_model("deals", "Opportunity"), apps.get_model("deals", "WonClientRollup"),
            apps.get_model("deals", "WonDayRollup"))


def empty(apps, schema_editor):
    apps.get_model("deals", "WonClientRollup").objects.all().delete()
    apps.get_model("deals", "WonDayRollup").objects.all().delete()


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("deals", "0018_won_rollups")]

    operations = [migrations.RunPython(fill, empty, atomic=True),
                  VacuumAnalyze(["deals_wonclientrollup", "deals_wondayrollup"])]

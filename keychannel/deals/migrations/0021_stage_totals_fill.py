"""Fill the network's per-stage totals (0020, deals/stage_totals.py) from the deals that exist: a recount, as
``manage.py rollups_rebuild`` does."""

from django.db import migrations


def fill(apps, schema_editor):
    from keychannel.deals import stage_totals
    from keychannel.deals.rollups import recount

    opportunity = apps.get_model("deals", "Opportunity")
    stage_totals.rebuild(lambda: recount(opportunity), apps.get_model("deals", "PipelineStageTotal"))


def empty(apps, schema_editor):
    apps.get_model("deals", "PipelineStageTotal").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0020_stage_totals")]

    operations = [migrations.RunPython(fill, empty)]

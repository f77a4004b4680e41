"""Fill the pipeline roll-up (0014) from the deals that exist: a recount, as ``manage.py rollups_rebuild`` does."""

from django.db import migrations


def fill(apps, schema_editor):
    from keychannel.deals.rollups import rebuild

    rebuild(apps.get_model("deals", "Opportunity"), apps.get_model("deals", "PipelineRollup"))


def empty(apps, schema_editor):
    apps.get_model("deals", "PipelineRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0014_pipeline_rollup")]

    operations = [migrations.RunPython(fill, empty)]

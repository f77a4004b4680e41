"""Fill the network's per-month totals (0022, deals/month_totals.py) from the deals that exist: a recount, as
``manage.py rollups_rebuild`` does."""

from django.db import migrations


def fill(apps, schema_editor):
    from keychannel.deals import month_totals

    month_totals.rebuild(apps.get_model("deals", "Opportunity"), apps.get_model("deals", "PipelineMonthTotal"))


def empty(apps, schema_editor):
    apps.get_model("deals", "PipelineMonthTotal").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0022_month_totals")]

    operations = [migrations.RunPython(fill, empty)]

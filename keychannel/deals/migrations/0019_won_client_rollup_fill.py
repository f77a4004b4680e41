"""Fill the won-clients roll-up (0018) from the won deals that exist: a recount, as ``manage.py rollups_rebuild``
does."""

from django.db import migrations


def fill(apps, schema_editor):
    from keychannel.deals.rollups import rebuild_won_clients

    rebuild_won_clients(apps.get_model("deals", "Opportunity"), apps.get_model("deals", "WonClientRollup"))


def empty(apps, schema_editor):
    apps.get_model("deals", "WonClientRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0018_won_client_rollup")]

    operations = [migrations.RunPython(fill, empty)]

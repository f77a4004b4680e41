"""Fill the sales roll-up (0008) from the applied lines that exist: a recount, as ``manage.py sales_rollup_rebuild``
does."""

from django.db import migrations


def fill(apps, schema_editor):
    from keychannel.sales.rollups import rebuild

    rebuild(apps.get_model("sales", "SalesLine"), apps.get_model("sales", "SalesRollup"))


def empty(apps, schema_editor):
    apps.get_model("sales", "SalesRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0008_sales_rollup")]

    operations = [migrations.RunPython(fill, empty)]

from django.db import migrations


def create_v1(apps, schema_editor):
    from keychannel.network.defaults import ensure_readiness_v1

    ensure_readiness_v1(apps.get_model("network", "ReadinessQuestionnaire"), apps.get_model("network", "ReadinessQuestion"))


class Migration(migrations.Migration):
    dependencies = [("network", "0004_people_relationships_readiness_reviews")]

    operations = [migrations.RunPython(create_v1, migrations.RunPython.noop)]

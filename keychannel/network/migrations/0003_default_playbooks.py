from django.db import migrations


def create_defaults(apps, schema_editor):
    from keychannel.network.playbook_defaults import DEFAULT_PLAYBOOKS

    Playbook = apps.get_model("network", "Playbook")
    for item in DEFAULT_PLAYBOOKS:
        Playbook.objects.get_or_create(
            quadrant=item["quadrant"],
            sole_channel=item["sole_channel"],
            defaults={"title": item["title"], "approach": item["approach"], "actions": item["actions"]},
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0002_coverage_presence_playbooks")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

from django.db import migrations

DEFAULTS = [
    ("discussion", 10, "First discussions: the client's need is being understood."),
    ("consultation", 20, "We consult on the solution with the client's specialists."),
    ("product_testing", 40, "The product is tested at the client against agreed criteria."),
    ("proposal", 60, "A written commercial proposal is with the client."),
    ("negotiation", 80, "Terms of the corporate contract are being negotiated."),
    ("won", 100, "The corporate contract is signed."),
    ("lost", 0, "The client decided against us (the reason is recorded)."),
]


def seed(apps, schema_editor):
    StageSetting = apps.get_model("deals", "StageSetting")
    for stage, probability, guidance in DEFAULTS:
        StageSetting.objects.get_or_create(stage=stage, defaults={"probability": probability, "guidance": guidance})


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

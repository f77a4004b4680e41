"""An index on the opportunities list's default order (newest first, then id): a page or a cursor of the whole
network's deals is read off it instead of sorting every deal (issue 22)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0012_lost_reason_code"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["-created_at", "-id"], name="deals_opp_newest"),
        ),
    ]

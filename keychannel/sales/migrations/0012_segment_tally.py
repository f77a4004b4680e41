"""The segment tally (sales/segment_tally.py): segments per year, kept by triggers on the segment table, so the
segments list proves "more than 100,000" from a few rows instead of counting 100,001 (issue 22). Creates the table
and the triggers, then counts the segments already stored."""

from django.db import migrations, models


def tally(apps, schema_editor):
    from keychannel.sales import segment_tally

    segment_tally.install(schema_editor.connection)
    segment_tally.rebuild(apps.get_model("sales", "ClientSegment"), apps.get_model("sales", "SegmentTally"))


def untally(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for name in ("added", "removed", "moved", "emptied"):
            cursor.execute(f"DROP TRIGGER IF EXISTS sales_segment_tally_{name}"
                           + (" ON sales_clientsegment" if connection.vendor == "postgresql" else ""))
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP FUNCTION IF EXISTS sales_segment_tally_{name}()")


class Migration(migrations.Migration):
    dependencies = [("sales", "0011_report_content_lz4")]

    operations = [
        migrations.CreateModel(
            name="SegmentTally",
            fields=[
                ("year", models.PositiveSmallIntegerField(primary_key=True, serialize=False, verbose_name="year")),
                ("segment_count", models.BigIntegerField(default=0, verbose_name="Segments")),
            ],
            options={"verbose_name": "segment tally", "verbose_name_plural": "segment tallies", "ordering": ["year"]},
        ),
        migrations.RunPython(tally, untally),
    ]

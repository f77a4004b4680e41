"""The segments' yearly totals per label and ABC class (sales/segment_totals.py), kept by triggers on the segment
table, so the segments page and its charts read a year's counts from a dozen rows instead of grouping the year's
every segment (issue 22). Creates the table and the triggers, then counts the segments already stored."""

from django.db import migrations, models


def totals(apps, schema_editor):
    from keychannel.sales import segment_totals

    segment_totals.install(schema_editor.connection)
    segment_totals.rebuild(apps.get_model("sales", "ClientSegment"), apps.get_model("sales", "SegmentClassTotal"))


def untotal(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for name in ("added", "removed", "changed", "emptied"):
            cursor.execute(f"DROP TRIGGER IF EXISTS sales_segment_totals_{name}"
                           + (" ON sales_clientsegment" if connection.vendor == "postgresql" else ""))
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP FUNCTION IF EXISTS sales_segment_totals_{name}()")


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0012_segment_tally'),
    ]

    operations = [
        migrations.CreateModel(
            name='SegmentClassTotal',
            fields=[
                ('pk', models.CompositePrimaryKey('year', 'label', 'abc_class', blank=True, editable=False, primary_key=True, serialize=False)),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('label', models.CharField(choices=[('strategic', 'Strategic'), ('grow', 'Grow (small batches)'), ('maintain', 'Maintain'), ('at_risk', 'At risk'), ('dormant', 'Dormant')], max_length=10, verbose_name='segment')),
                ('abc_class', models.CharField(choices=[('A', 'A (top 80 % of volume)'), ('B', 'B (next 15 %)'), ('C', 'C (last 5 %)')], max_length=1, verbose_name='ABC class')),
                ('segments', models.BigIntegerField(default=0, verbose_name='Segments')),
                ('volume', models.DecimalField(decimal_places=2, default=0, max_digits=22, verbose_name='volume (RON)')),
            ],
            options={
                'verbose_name': 'segment class total',
                'verbose_name_plural': 'segment class totals',
            },
        ),
        migrations.RunPython(totals, untotal),
    ]

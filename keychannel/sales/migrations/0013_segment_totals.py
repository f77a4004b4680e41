"""The segments' yearly totals (sales/segment_totals.py): per client and year, and per year, label and ABC class,
kept by triggers on the segment table, so the segments page and its charts read a year's counts and its biggest
clients from a few rows instead of summing the year (issue 22). Creates the tables and the triggers, then counts
the segments already stored."""

import django.db.models.deletion
from django.db import migrations, models


def totals(apps, schema_editor):
    from keychannel.sales import segment_totals

    segment_totals.install(schema_editor.connection)
    segment_totals.rebuild(schema_editor.connection)


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
        ('clients', '0013_client_count_and_key_indexes'),
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
        migrations.CreateModel(
            name='ClientYearTotal',
            fields=[
                ('pk', models.CompositePrimaryKey('client_id', 'year', blank=True, editable=False, primary_key=True, serialize=False)),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('segments', models.IntegerField(default=0, verbose_name='Segments')),
                ('volume', models.DecimalField(decimal_places=2, default=0, max_digits=20, verbose_name='volume (RON)')),
                ('client', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clients.corporateclient', verbose_name='client')),
            ],
            options={
                'verbose_name': "client's yearly total",
                'verbose_name_plural': "clients' yearly totals",
                'indexes': [models.Index(fields=['year', '-volume', 'client'], name='sales_client_year_volume')],
            },
        ),
        migrations.RunPython(totals, untotal),
    ]

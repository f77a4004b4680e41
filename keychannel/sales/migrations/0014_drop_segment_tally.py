"""The segment tally (0012) goes: it held segments per year, which the segments' yearly totals (0013,
``sales/segment_totals.py``) hold too, per label and ABC class, kept by the same kind of triggers on the segment
table. Two tables kept on every segment write for one count: the segments list now sums a year's totals (a few
dozen rows at most). The tally's triggers and functions are dropped before its table (a SQLite trigger naming a
missing table fails every segment write). Reversible: backwards, the table, its triggers and its count come back
exactly as 0012 made them."""

from importlib import import_module

from django.db import migrations, models

_TALLY = import_module("keychannel.sales.migrations.0012_segment_tally")


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0013_segment_totals"),
    ]

    operations = [
        # backwards: the table first (DeleteModel's reverse), then the triggers and the count
        migrations.RunPython(_TALLY.untally, _TALLY.tally),
        migrations.DeleteModel(
            name="SegmentTally",
        ),
    ]

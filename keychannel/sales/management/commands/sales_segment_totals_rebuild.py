"""`manage.py sales_segment_totals_rebuild [--check]`: recount the segments' yearly totals (per year, label and ABC
class) from the segments, or with ``--check`` only compare them with a recount and exit 1 when
they differ."""

from keychannel.core.rollups import RebuildCommand
from keychannel.sales import segment_totals


class Command(RebuildCommand):
    help = "Rebuild the segments' yearly totals (per label and ABC class) from the segments, or --check them."
    rollups = segment_totals
    command_name = "sales_segment_totals_rebuild"
    title = "segments' yearly totals"

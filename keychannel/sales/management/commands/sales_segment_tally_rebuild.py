"""`manage.py sales_segment_tally_rebuild [--check]`: recount the segment tally (segments per year) from the
segments, or with ``--check`` only compare it with a recount and exit 1 when they differ."""

from keychannel.core.rollups import RebuildCommand
from keychannel.sales import segment_tally


class Command(RebuildCommand):
    help = "Rebuild the segment tally (client segments per year) from the segments, or --check it."
    rollups = segment_tally
    command_name = "sales_segment_tally_rebuild"
    title = "segment tally"

"""`manage.py sales_rollup_rebuild [--check]`: recount the sales roll-up from the applied sales lines (docs/sales.md,
"Sales roll-up"). ``--check`` only compares the stored roll-up with a recount and exits 1 when they differ."""

from keychannel.core.rollups import RebuildCommand
from keychannel.sales import rollups


class Command(RebuildCommand):
    help = "Rebuild the sales roll-up (applied lines per distributor x month) from the lines, or --check it."
    rollups = rollups
    command_name = "sales_rollup_rebuild"
    title = "sales roll-up"

"""`manage.py rollups_rebuild [--check]`: recount the pipeline roll-up from every deal (docs/deals.md, "Pipeline
roll-up"). ``--check`` only compares the stored roll-up with a recount and exits 1 when they differ."""

from keychannel.core.rollups import RebuildCommand
from keychannel.deals import rollups


class Command(RebuildCommand):
    help = "Rebuild the pipeline roll-up (deals per distributor x stage x currency) from the deals, or --check it."
    rollups = rollups
    command_name = "rollups_rebuild"
    title = "pipeline roll-up"

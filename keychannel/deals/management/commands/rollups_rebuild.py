"""`manage.py rollups_rebuild [--check]`: recount the pipeline roll-up with the network's per-stage and per-month rows
(deals/stage_totals.py, deals/month_totals.py) and the won roll-ups (deals/won_rollups.py) from every deal (docs/deals.md, "Pipeline roll-up"). ``--check`` only compares the stored roll-up with a recount and exits 1 when they differ."""

from keychannel.core.rollups import RebuildCommand
from keychannel.deals import rollups


class Command(RebuildCommand):
    help = ("Rebuild the pipeline roll-up (deals per distributor x stage x currency, the network's per stage and per "
            "month) and the won roll-ups (won clients per year, won deals per day) from the deals, or --check them.")
    rollups = rollups
    command_name = "rollups_rebuild"
    title = "pipeline and won roll-ups"

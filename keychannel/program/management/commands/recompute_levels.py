from django.core.management.base import BaseCommand

from keychannel.program.levels import recompute_levels


class Command(BaseCommand):
    help = ("Requalify every active distributor for the launched program's levels from data, record each change "
            "and notify the distributor head (run daily).")

    def handle(self, *args, **options):
        changes = recompute_levels()
        for change in changes:
            self.stdout.write(str(change))
        self.stdout.write(f"{len(changes)} level change(s)")

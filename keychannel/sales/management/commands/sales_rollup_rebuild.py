"""`manage.py sales_rollup_rebuild [--check]`: recount the sales roll-up from the applied sales lines (docs/sales.md,
"Sales roll-up"). ``--check`` only compares the stored roll-up with a recount and exits 1 when they differ."""

from django.core.management.base import BaseCommand, CommandError

from keychannel.sales import rollups


class Command(BaseCommand):
    help = "Rebuild the sales roll-up (applied lines per distributor x month) from the lines, or --check it."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare with a recount; change nothing.")

    def handle(self, *args, check=False, **options):
        if check:
            differences = rollups.differences()
            for bucket, stored, counted in differences[:20]:
                self.stdout.write(f"{bucket}: stored {stored}, recount {counted}")
            if differences:
                raise CommandError(f"{len(differences)} roll-up row(s) differ from a recount: run sales_rollup_rebuild")
            self.stdout.write("the sales roll-up equals a recount")
            return
        rows = rollups.rebuild()
        self.stdout.write(f"sales roll-up rebuilt: {rows} row(s)")

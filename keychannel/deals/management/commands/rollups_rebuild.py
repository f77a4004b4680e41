"""`manage.py rollups_rebuild [--check]`: recount the pipeline roll-up from every deal (docs/deals.md, "Pipeline
roll-up"). ``--check`` only compares the stored roll-up with a recount and exits 1 when they differ."""

from django.core.management.base import BaseCommand, CommandError

from keychannel.deals import rollups


class Command(BaseCommand):
    help = "Rebuild the pipeline roll-up (deals per distributor x stage x currency) from the deals, or --check it."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare with a recount; change nothing.")

    def handle(self, *args, check=False, **options):
        if check:
            differences = rollups.differences()
            for bucket, stored, counted in differences[:20]:
                self.stdout.write(f"{bucket}: stored {stored}, recount {counted}")
            if differences:
                raise CommandError(f"{len(differences)} roll-up row(s) differ from a recount: run rollups_rebuild")
            self.stdout.write("the pipeline roll-up equals a recount")
            return
        rows = rollups.rebuild()
        self.stdout.write(f"pipeline roll-up rebuilt: {rows} row(s)")

from django.core.management.base import BaseCommand

from keychannel.program.rule_conditions import apply_rule_conditions


class Command(BaseCommand):
    help = ("Raise the ledger entries the launched program's penalty and restriction rules call for, with their "
            "evidence (run daily; a second run raises nothing new for the same evidence).")

    def handle(self, *args, **options):
        entries = apply_rule_conditions()
        for entry in entries:
            self.stdout.write(f"{entry} · {entry.evidence}")
        self.stdout.write(f"{len(entries)} ledger entr(y/ies) raised")

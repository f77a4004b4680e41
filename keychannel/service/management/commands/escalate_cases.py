from django.core.management.base import BaseCommand

from keychannel.service.services import escalate_cases


class Command(BaseCommand):
    help = ("Escalate open service cases: near a breach notify the distributor head; at a breach record it and notify "
            "the channel manager and the client's KAM (run every few minutes).")

    def handle(self, *args, **options):
        counts = escalate_cases()
        self.stdout.write(f"near breach: {counts['near_breach']}, breached: {counts['breached']}")

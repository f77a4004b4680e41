from django.core.management.base import BaseCommand

from keychannel.channel.services import reroute_leads


class Command(BaseCommand):
    help = "Time out lead offers nobody answered in time and pass those leads to the next eligible distributor."

    def handle(self, *args, **options):
        count = reroute_leads()
        self.stdout.write(f"{count} lead offer(s) timed out and re-routed")

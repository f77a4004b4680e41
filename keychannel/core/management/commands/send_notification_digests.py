from django.core.management.base import BaseCommand

from keychannel.core.notifications import digests_send


class Command(BaseCommand):
    help = ("Mail each user who chose the daily digest the notifications that wait for it, in their language "
            "(run daily; each notification goes in exactly one digest).")

    def handle(self, *args, **options):
        mailed, carried = digests_send()
        self.stdout.write(f"digests: {mailed}, notifications: {carried}")

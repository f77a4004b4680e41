from django.core.management.base import BaseCommand

from keychannel.channel.out_of_scope import hand_over_after_grace
from keychannel.channel.services import expire_registrations


class Command(BaseCommand):
    help = ("Expire approved deal registrations whose protection period has ended, and hand the deals still open "
            "after an out-of-scope grace period over to the manufacturer-led project (run daily).")

    def handle(self, *args, **options):
        count = expire_registrations()
        self.stdout.write(f"{count} registration(s) expired")
        handed = hand_over_after_grace()
        self.stdout.write(f"{handed} deal(s) handed over after their grace period")

from django.core.management.base import BaseCommand

from keychannel.channel.services import expire_registrations


class Command(BaseCommand):
    help = "Expire approved deal registrations whose protection period has ended (run daily)."

    def handle(self, *args, **options):
        count = expire_registrations()
        self.stdout.write(f"{count} registration(s) expired")

"""`manage.py notify_expiring_contracts [--days N]`: tell owners their corporate contracts end soon (once a day)."""

from django.core.management.base import BaseCommand

from keychannel.deals.services import notify_expiring_contracts


class Command(BaseCommand):
    help = "Notify the owners of active corporate contracts that end within N days (default 60); idempotent per day."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=60)

    def handle(self, *args, days, **options):
        if days < 0:
            self.stderr.write("--days must be 0 or more")
            return
        sent = notify_expiring_contracts(days=days)
        self.stdout.write(f"{sent} notice(s) sent")

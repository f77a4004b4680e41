"""``keychannel purge-uploads [--days N]``: delete rejected and waiting sales reports older than N days (daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Delete rejected and waiting sales reports (error reports and kept files) older than N days "
            "(default KEYCHANNEL_REJECTED_UPLOAD_DAYS); applied reports are never touched. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        from keychannel.sales.services import reports_purge

        days = settings.KEYCHANNEL_REJECTED_UPLOAD_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more")
        deleted = reports_purge(days=days)
        self.stdout.write(f"{deleted} report(s) deleted")

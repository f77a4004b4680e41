"""``keychannel purge_security_events [--days N]``: delete security events older than N days (a daily job)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Delete security events (refused logins, 403s, rate-limit refusals, lockouts, token changes) older than "
            "N days (default KEYCHANNEL_SECURITY_EVENT_DAYS). Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        from keychannel.core.services import security_events_purge

        days = settings.KEYCHANNEL_SECURITY_EVENT_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be 1 or more")
        deleted = security_events_purge(days=days)
        self.stdout.write(f"{deleted} security event(s) deleted")

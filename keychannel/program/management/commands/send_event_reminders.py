"""`keychannel send-event-reminders [--hours N]`: remind invitees of program events that start soon (hourly)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from keychannel.program.services import event_send_reminders


class Command(BaseCommand):
    help = ("Remind everyone invited (and not declined) to a published event starting within N hours (default 24); "
            "each person is reminded once, so running it every hour is safe.")

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args, hours, **options):
        if not 1 <= hours <= 24 * 14:
            raise CommandError("--hours must be between 1 and 336")
        sent = event_send_reminders(within=timedelta(hours=hours))
        self.stdout.write(f"{sent} reminder(s) sent")

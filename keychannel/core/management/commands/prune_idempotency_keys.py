"""`keychannel prune_idempotency_keys`: delete the kept answers of Idempotency-Keys past their retention.

Run by the scheduler every hour (keychannel/jobs/scheduler.py); KEYCHANNEL_IDEMPOTENCY_KEY_HOURS sets the retention.
"""

from django.core.management.base import BaseCommand

from keychannel.core.idempotency import prune


class Command(BaseCommand):
    help = "Delete the kept answers of API Idempotency-Keys older than KEYCHANNEL_IDEMPOTENCY_KEY_HOURS."

    def handle(self, *args, **options):
        self.stdout.write(f"{prune()} idempotency keys deleted")

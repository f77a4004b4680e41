"""`keychannel prune-task-results`: delete finished task records and scheduled runs older than N days (default 30)."""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "Delete finished background-task records and scheduled runs older than N days (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days, **options):
        from keychannel.jobs.models import ScheduledRun

        if days < 1:
            raise CommandError("--days must be 1 or more")
        if settings.TASKS_BACKEND == "database":
            call_command("prune_db_task_results", min_age_days=days, stdout=self.stdout)
        deleted, _detail = ScheduledRun.objects.filter(
            status__in=["done", "failed"], period_start__lt=timezone.now() - timedelta(days=days)).delete()
        self.stdout.write(f"{deleted} scheduled run(s) deleted")

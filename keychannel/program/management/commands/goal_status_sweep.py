from django.core.management.base import BaseCommand

from keychannel.program.goal_status import goal_status_sweep


class Command(BaseCommand):
    help = "Compare each goal's computed status with the last one announced; send goal.status_changed (run daily)."

    def handle(self, *args, **options):
        self.stdout.write(f"{goal_status_sweep()} goal status change(s)")

"""`keychannel backup FILE`: a consistent backup of the whole database (pg_dump -Fc, or SQLite's backup API)."""

from django.core.management.base import BaseCommand, CommandError

from keychannel.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the whole database to FILE (PostgreSQL: pg_dump custom format; SQLite: a database copy)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the backup (overwritten if it exists)")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, file, database, **options):
        try:
            result = backup(file, alias=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{result.engine} backup written to {result.path} ({result.size} bytes)"))

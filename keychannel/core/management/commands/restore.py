"""`keychannel restore FILE`: replace the whole database with a backup made by `keychannel backup`."""

from django.core.management.base import BaseCommand, CommandError

from keychannel.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the whole database from FILE (made by `keychannel backup`). Refuses to overwrite a database "
        "that holds data (users or organisations) unless --force. Stop the app servers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup made by `keychannel backup`")
        parser.add_argument("--database", default="default", help="database alias (default: default)")
        parser.add_argument("--force", action="store_true", help="overwrite a database that holds data")

    def handle(self, *args, file, database, force, **options):
        try:
            result = restore(file, alias=database, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{result.engine} database restored from {result.path}"))
        self.stdout.write("Run `keychannel migrate` if the backup is older than this version of keychannel.")

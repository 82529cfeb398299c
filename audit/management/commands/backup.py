from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the whole database to a file (SQLite copy or pg_dump custom format)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", help="Where to write it; default backups/rehab-<time>."
        )

    def handle(self, *args, file=None, **options):
        try:
            path = backup(Path(file) if file else None)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backed up the database to {path}"))

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.backups import BackupError, backup, restore


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup to restore.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument(
            "--no-safety-copy",
            action="store_false",
            dest="safety_copy",
            help="Do not back up the current database first.",
        )

    def handle(self, *args, file, interactive=True, safety_copy=True, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no backup file at {path}.")
        if interactive:
            answer = input(
                f"Every record in the database will be replaced by {path}. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was restored.")
        try:
            if safety_copy:
                kept = backup()
                self.stdout.write(f"The database as it was is kept in {kept}")
            restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored the database from {path}"))

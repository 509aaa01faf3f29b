"""`runxin backup DIR`: pg_dump (custom format) into a new directory under DIR with a manifest of row counts
and checksums per table, taken in the dump's own snapshot. See docs/operations.md for the restore drill."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from runxin.ops import backup


class Command(BaseCommand):
    help = "Back up the database: pg_dump custom format plus manifest.json (row counts and checksums per table)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="where the backup directory is created")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("`runxin backup` backs up PostgreSQL; for the SQLite demo copy the database file")
        try:
            directory = backup.backup(connection.settings_dict, options["directory"])
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        except backup.subprocess.CalledProcessError as exc:
            raise CommandError(f"pg_dump failed: {exc.stderr.strip()}") from exc
        self.stdout.write(str(directory))

"""`runxin purge-import-files [--days N]`: delete uploaded rosters and their problem files older than the
retention period (IMPORT_FILE_RETENTION_DAYS, 30 by default). The batches and their counts stay. Celery beat
and the embedded scheduler run it too."""

from django.core.management.base import BaseCommand

from runxin.imports.services import purge_import_files


class Command(BaseCommand):
    help = "Delete import files (uploads, problem lists, preview rows) older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="keep files this many days (default: IMPORT_FILE_RETENTION_DAYS)")

    def handle(self, *args, **options):
        if options["days"] is not None and options["days"] < 0:
            self.stderr.write("--days must be 0 or more")
            raise SystemExit(2)
        purged = purge_import_files(days=options["days"])
        self.stdout.write(f"purged the files of {purged} import batch(es)")

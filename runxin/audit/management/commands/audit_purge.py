"""`runxin audit-purge`: remove audit rows older than AUDIT_RETENTION_DAYS (at least 183), a whole expired
start of each chain at a time, leaving a checkpoint so `runxin audit-verify` still passes.

Runs as the owner role (MIGRATE_DATABASE_URL): the app role may not delete audit rows. The warning history
is a case record and is never purged here."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from runxin.audit import chain
from runxin.ops.db import use_owner_role


class Command(BaseCommand):
    help = "Purge audit rows past AUDIT_RETENTION_DAYS from the start of each hash chain (owner role)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"keep this many days (default AUDIT_RETENTION_DAYS; at least "
                                 f"{settings.AUDIT_RETENTION_MINIMUM_DAYS})")
        parser.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")

    def handle(self, *args, **options):
        days = options["days"] or settings.AUDIT_RETENTION_DAYS
        if days < settings.AUDIT_RETENTION_MINIMUM_DAYS:
            raise CommandError(f"--days {days} is below the minimum of {settings.AUDIT_RETENTION_MINIMUM_DAYS}")
        if connection.vendor != "postgresql":
            self.stdout.write(f"No hash chain on {connection.vendor}: nothing purged.")
            return
        use_owner_role()
        with transaction.atomic(), connection.cursor() as cursor:
            results = chain.purge(cursor, now=timezone.now(), days=days, dry_run=options["dry_run"])
        verb = "would remove" if options["dry_run"] else "removed"
        for item in results:
            if item.refused:
                self.stdout.write(f"{item.table}: refused, the chain is broken: {item.refused}")
            else:
                self.stdout.write(f"{item.table}: {verb} {item.rows} rows (chain positions up to {item.through_seq})")
        if not results:
            self.stdout.write(f"Nothing older than {days} days.")
        if any(item.refused for item in results):
            raise CommandError("purge refused on a broken chain; run `runxin audit-verify`")

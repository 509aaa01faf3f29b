"""`runxin restore-drill`: back up, restore into a new database, compare row counts and checksums table by
table, verify the audit hash chain on the copy, print the result, drop the copy. Exit status 1 on any
difference. The new database is created by the owner role (MIGRATE_DATABASE_URL, which needs CREATEDB) or by
--admin-url."""

from pathlib import Path
from tempfile import mkdtemp

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from runxin.env import database_from_url
from runxin.ops import backup
from runxin.ops.db import owner_settings


class Command(BaseCommand):
    help = "Back up, restore into a scratch database, compare every table and the audit chain, report."

    def add_arguments(self, parser):
        parser.add_argument("--backup", type=Path, help="drill this existing backup directory instead of a new one")
        parser.add_argument("--workdir", type=Path, help="where the new backup goes (default: a temporary directory)")
        parser.add_argument("--admin-url", help="postgres:// URL of a role with CREATEDB (default MIGRATE_DATABASE_URL)")
        parser.add_argument("--keep", action="store_true", help="keep the restored database")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("the restore drill needs PostgreSQL")
        source = dict(connection.settings_dict)
        admin = database_from_url(options["admin_url"]) if options["admin_url"] else owner_settings() or source
        workdir = options["workdir"] or Path(mkdtemp(prefix="runxin-backup-"))
        try:
            result = backup.restore_drill(source, admin, workdir, backup_dir=options["backup"], keep=options["keep"])
        except backup.subprocess.CalledProcessError as exc:
            raise CommandError(f"{Path(exc.cmd[0]).name} failed: {exc.stderr.strip()}") from exc
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        width = max(len(t.table) for t in result.tables) if result.tables else 10
        self.stdout.write(f"Backup: {result.backup_dir}")
        self.stdout.write(f"Restored into: {result.database}{' (kept)' if options['keep'] else ' (dropped)'}")
        self.stdout.write(f"{'table':<{width}}  {'backup':>10}  {'restored':>10}  checksum")
        for t in result.tables:
            mark = "equal" if t.checksum_equal else "DIFFERENT"
            self.stdout.write(f"{t.table:<{width}}  {t.rows_backup!s:>10}  {t.rows_restored!s:>10}  {mark}")
        differing = [t.table for t in result.tables if not t.equal]
        self.stdout.write(f"Tables: {len(result.tables)}, rows: {sum(t.rows_restored or 0 for t in result.tables)}, "
                          f"different: {len(differing)}")
        if result.chain is not None:
            problems = [p for table in result.chain.tables for p in table.problems]
            self.stdout.write("Audit chain on the copy: " + ("intact" if not problems else "; ".join(problems[:5])))
        if not result.ok:
            raise CommandError("RESTORE DRILL FAILED: " + (", ".join(differing) or "audit chain broken"))
        self.stdout.write("RESTORE DRILL PASSED: every table equal.")

"""`runxin audit-verify`: prove that no audit row was removed or changed since it was written.

Walks the hash chain of every audit table (runxin/audit/chain.py) from its last retention checkpoint and
names each row where the chain breaks. Exit status 1 when anything is wrong. Read-only: the app role may
run it. On SQLite (the embedded demo) there is no chain, and the command says so."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from runxin.audit import chain


class Command(BaseCommand):
    help = "Verify the hash chain over the audit tables; names every changed, removed or unchained row."

    def add_arguments(self, parser):
        parser.add_argument("--table", action="append", choices=sorted(chain.CHAINED),
                            help="check only this table (repeatable)")

    def handle(self, *args, **options):
        with transaction.atomic(), connection.cursor() as cursor:
            report = chain.verify(cursor, connection.vendor, options["table"])
        if not report.kept:
            self.stdout.write(f"No hash chain on {connection.vendor}: the embedded demo database keeps none, "
                              "so nothing was verified. Production runs on PostgreSQL, where every audit row is chained.")
            return
        for table in report.tables:
            start = f" from checkpoint {table.start_seq}" if table.start_seq else ""
            state = "OK" if table.ok else f"BROKEN ({len(table.problems)} problem(s))"
            self.stdout.write(f"{table.table}: {table.rows} rows chained{start} — {state}")
            for problem in table.problems:
                self.stdout.write(f"  {problem}")
        if not report.ok:
            raise CommandError("audit chain verification failed")
        self.stdout.write("Audit chain intact.")

"""`runxin db-roles`: create the owner role and the app role and give each its privileges.

Run once per database by a superuser (or a role with CREATEROLE that owns the tables), e.g.

    DATABASE_URL=postgres://postgres@db/runxin runxin db-roles --owner runxin_owner --app runxin_app

Then the app runs with DATABASE_URL=postgres://runxin_app:…@db/runxin and migrations with
MIGRATE_DATABASE_URL=postgres://runxin_owner:…@db/runxin. `--sql` prints the statements instead (for a DBA)."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from runxin.ops import db_roles


class Command(BaseCommand):
    help = "Create the owner role (migrations) and the app role (owns nothing; INSERT/SELECT only on audit tables)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="runxin_owner")
        parser.add_argument("--app", default="runxin_app")
        parser.add_argument("--owner-password-env", default="RUNXIN_OWNER_PASSWORD",
                            help="environment variable holding the owner's password (unset: no password set)")
        parser.add_argument("--app-password-env", default="RUNXIN_APP_PASSWORD")
        parser.add_argument("--no-transfer", action="store_true",
                            help="leave table ownership alone (default: the owner role takes every object in public)")
        parser.add_argument("--sql", action="store_true", help="print the SQL and roll back instead of applying it")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("database roles exist only on PostgreSQL; the SQLite demo has none")
        statements: list[str] = []
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if options["sql"]:
                    cursor = _Recorder(cursor, statements)
                done = db_roles.setup(
                    cursor, owner=options["owner"], app=options["app"],
                    owner_password=os.environ.get(options["owner_password_env"]) or None,
                    app_password=os.environ.get(options["app_password_env"]) or None,
                    transfer=not options["no_transfer"],
                )
                if options["sql"]:
                    raise _DryRun
        except _DryRun:
            self.stdout.write(";\n".join(s.strip() for s in statements) + ";")
            return
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for line in done:
            self.stdout.write(line)


class _DryRun(Exception):
    pass


class _Recorder:
    """A cursor that runs every statement (inside a transaction rolled back at the end) and remembers it."""

    def __init__(self, cursor, log: list[str]):
        self._cursor, self._log = cursor, log

    def execute(self, statement, params=None):
        if params is None:  # the statements that change something; lookups with parameters are not logged
            self._log.append(statement)
        return self._cursor.execute(statement, params)

    def __getattr__(self, name):
        return getattr(self._cursor, name)

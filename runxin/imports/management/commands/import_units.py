"""runxin import-units FILE [--dry-run] [--mode valid|all] [--as USERNAME]

Creates or updates region-tree units (districts, schools with their 10-digit 学校标识码, partner hospitals,
mental-health centres, society units, schools' service groups) from a .xlsx or .csv file, one row per unit,
idempotent by code, and prints the same JSON report as import-roster (rows read, imported, created, updated,
unchanged, rejected with file line, column and reason). Exit status: 0 when every row was taken, 1 when rows
were rejected, 2 on a bad invocation (no such file or user, unreadable file, no header). The format is in
docs/imports.md ("Units").
"""

import json
import sys
from pathlib import Path

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from runxin.access import roles, scope
from runxin.imports import units
from runxin.imports.values import Bad


class Command(BaseCommand):
    help = __doc__
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=".xlsx or .csv (UTF-8 or GBK)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--mode", choices=["valid", "all"], default="valid",
                            help="valid: import the valid rows (default); all: import only if every row is valid")
        parser.add_argument("--as", dest="username", default=None,
                            help="act as this user (they need org.manage; the audit names them)")

    def fail(self, message: str) -> CommandError:
        self.stdout.write(json.dumps({"error": message}, ensure_ascii=False))
        return CommandError(message, returncode=2)

    def handle(self, *args, **options) -> None:
        translation.activate("en")
        path = Path(options["file"])
        if not path.is_file():
            raise self.fail(f"no such file: {path}")
        if path.suffix.lower() not in {".csv", ".xlsx"}:
            raise self.fail(f"{path.name}: only .xlsx and .csv files are read")
        user = None
        if options["username"]:
            user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise self.fail(f"no active user {options['username']!r}")
            if not scope.has_permission(user, roles.ORG_MANAGE):
                raise self.fail(f"{user.username} may not manage the region tree")
        try:
            with set_actor(user):
                report = units.import_units(path=path, user=user, dry_run=options["dry_run"], mode=options["mode"])
        except Bad as error:
            raise self.fail(error.render()) from None
        summary = {"file": options["file"], "kind": "units", "dry_run": options["dry_run"], "mode": options["mode"],
                   **report.as_json()}
        text = json.dumps(summary, ensure_ascii=False, indent=1)
        out = self.stdout
        out.write(text[:-2] + ',\n "rejections": [', ending="")
        for index, problem in enumerate(report.problems):
            item = {"line": problem.line, "column": problem.column, "reason": problem.render()}
            out.write(("\n  " if index == 0 else ",\n  ") + json.dumps(item, ensure_ascii=False), ending="")
        out.write("\n ]\n}")
        if report.rejected:
            sys.stdout.flush()
            raise CommandError(f"{report.rejected} rows rejected", returncode=1)

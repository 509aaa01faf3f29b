"""runxin import-units FILE [--dry-run] [--mode valid|all] [--as USERNAME]

Creates or updates region-tree units (districts, schools with their 10-digit 学校标识码, partner hospitals,
mental-health centres, society units, schools' service groups) from a .xlsx or .csv file, one row per unit,
idempotent by code, and prints the same JSON report as import-roster (rows read, imported, created, updated,
unchanged, rejected with file line, column and reason). Exit status: 0 when every row was taken, 1 when rows
were rejected, 2 on a bad invocation (no such file or user, unreadable file, no header). The format is in
docs/imports.md ("Units").
"""

from auditlog.context import set_actor

from runxin.access import roles, scope
from runxin.imports import units
from runxin.imports.values import Bad

from ._importing import FileCommand


class Command(FileCommand):
    help = __doc__
    as_help = "act as this user (they need org.manage; the audit names them)"

    def handle(self, *args, **options) -> None:
        path = self.existing_file(options["file"])
        if path.suffix.lower() not in {".csv", ".xlsx"}:
            raise self.fail(f"{path.name}: only .xlsx and .csv files are read")
        user = self.acting_user(options["username"])
        if user is not None and not scope.has_permission(user, roles.ORG_MANAGE):
            raise self.fail(f"{user.username} may not manage the region tree")
        try:
            with set_actor(user):
                report = units.import_units(path=path, user=user, dry_run=options["dry_run"], mode=options["mode"])
        except Bad as error:
            raise self.fail(error.render()) from None
        summary = {"file": options["file"], "kind": "units", "dry_run": options["dry_run"], "mode": options["mode"],
                   **report.as_json()}
        self.print_report(summary, report.problems)

"""What import_roster and import_staff share: arguments, the run, the JSON report on stdout."""

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from runxin.imports import problems as problem_files
from runxin.imports import roster, services
from runxin.imports.models import ImportBatch
from runxin.imports.values import Bad
from runxin.org.models import OrgUnit


class FileCommand(BaseCommand):
    """A file import on the command line: the file and its options, the acting user, the JSON report with one
    line per rejected row, and the exit status (0 all taken, 1 rows rejected, 2 a bad invocation)."""

    requires_system_checks: list = []
    as_help = "act as this user (their scope applies and the audit names them)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=".xlsx or .csv (UTF-8 or GBK)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--mode", choices=["valid", "all"], default="valid",
                            help="valid: import the valid rows (default); all: import only if every row is valid")
        parser.add_argument("--as", dest="username", default=None, help=self.as_help)

    def execute(self, *args, **options):
        # The report is in English for the scripts and the terminal that read it, for this command only:
        # translation.activate() left the whole process English after it (the demo generator calls the imports,
        # and then wrote its warnings' notices and histories in English).
        with translation.override("en"):
            return super().execute(*args, **options)

    def fail(self, message: str) -> CommandError:
        self.stdout.write(json.dumps({"error": message}, ensure_ascii=False))
        return CommandError(message, returncode=2)

    def existing_file(self, name: str) -> Path:
        path = Path(name)
        if not path.is_file():
            raise self.fail(f"no such file: {path}")
        return path

    def acting_user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise self.fail(f"no active user {username!r}")
        return user

    def print_report(self, summary: dict, problems) -> None:
        """The summary as indented JSON with a "rejections" list, written one problem at a time (a file with
        100,000 bad rows is never held as one string), then exit status 1 if any row was rejected."""
        out = self.stdout
        text = json.dumps(summary, ensure_ascii=False, indent=1)
        out.write(text[:-2] + ',\n "rejections": [', ending="")
        first = True
        for problem in problems:
            item = {"line": problem.line, "column": problem.column, "reason": problem.render()}
            out.write(("\n  " if first else ",\n  ") + json.dumps(item, ensure_ascii=False), ending="")
            first = False
        out.write("\n ]\n}")
        if summary.get("rejected"):
            sys.stdout.flush()
            raise CommandError(f"{summary['rejected']} rows rejected", returncode=1)


class ImportCommand(FileCommand):
    kind = ImportBatch.Kind.STUDENTS

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--school", required=True, help="the school's code (OrgUnit.code)")

    def handle(self, *args, **options) -> None:
        path = self.existing_file(options["file"])
        school = OrgUnit.objects.filter(code=options["school"], kind=OrgUnit.Kind.SCHOOL).first()
        if school is None:
            raise self.fail(f"no school with code {options['school']!r}")
        user = self.acting_user(options["username"])
        try:
            batch = services.batch_create(user=user, school=school, kind=self.kind, upload=path,
                                          original_name=path.name, via="cli")
        except PermissionDenied:
            raise self.fail(f"{user.username} may not import {self.kind} into {school.code}") from None
        except services.ImportRefused as error:
            raise self.fail(str(error)) from None
        try:
            report = services._run(batch, mode=options["mode"], dry_run=options["dry_run"], user=user)
        except Bad as error:
            batch.status, batch.error = ImportBatch.Status.FAILED, services._stored_error(error)
            batch.save()
            raise self.fail(error.render()) from None
        if options["dry_run"]:
            services._store(batch, report)
            batch.status = ImportBatch.Status.PREVIEWED
            batch.save()
        else:
            ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.IMPORTING)
            batch.refresh_from_db()
            self._record(batch, report, user, options["mode"])
        self._print(batch, report, options)

    def _record(self, batch, report, user, mode) -> None:
        from auditlog.models import LogEntry
        from django.db import transaction
        from django.utils import timezone

        with transaction.atomic():
            services._store(batch, report)
            batch.mode = mode
            batch.status = ImportBatch.Status.REFUSED if report.refused else ImportBatch.Status.IMPORTED
            batch.imported_at = timezone.now() if report.written else None
            batch.save()
            LogEntry.objects.log_create(
                batch, action=LogEntry.Action.CREATE if report.written else LogEntry.Action.ACCESS, actor=user,
                force_log=True, changes={key: ["", str(value)] for key, value in report.as_json().items()})

    def _print(self, batch, report: roster.Report, options) -> None:
        summary = {"file": options["file"], "school": batch.school.code, "batch": batch.pk, "kind": self.kind,
                   "dry_run": options["dry_run"], "mode": options["mode"], **report.as_json()}
        if report.secrets:
            summary["initial_passwords"] = report.secrets
        self.print_report(summary, problem_files.read(services.problems_path(batch)))

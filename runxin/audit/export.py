"""Audit trail exports (CSV and xlsx), safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator
from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.access.ip import client_ip

from .models import Export
from .selectors import AuditRow, Filters, audit_export_rows

# An export beyond this many rows is cut short, saying so in its last row: narrow the filters instead.
EXPORT_MAX_ROWS = 100_000

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A spreadsheet shows this as text: a leading = + - @ (or tab, CR) would start a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def header() -> list[str]:
    return [_("Time"), _("Action"), _("User"), _("IP address"), _("Record type"), _("Record"),
            _("Student"), _("Details"), _("Break-glass")]


def cells(row: AuditRow) -> list[str]:
    return [safe_cell(value) for value in (
        timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"), row.kind_label, row.actor, row.remote_addr or "",
        row.record_label or row.record_type, row.record_id, row.student, row.summary, _("yes") if row.is_break_glass else "",
    )]


def _lines(rows: Iterable[AuditRow]) -> Iterator[list[str]]:
    yield header()
    count = 0
    for row in rows:
        count += 1
        yield cells(row)
    if count >= EXPORT_MAX_ROWS:
        yield [_("The export stops at %(limit)s rows. Narrow the filters to see the rest.") % {"limit": EXPORT_MAX_ROWS}]


@transaction.atomic
def export_start(*, user, filters: Filters, file_format: str, request=None) -> Export:
    """Record that the user exports the audit trail with these filters (the export itself is audited)."""
    if not scope.has_permission(user, roles.AUDIT_SEARCH):
        raise PermissionDenied(roles.AUDIT_SEARCH)
    return Export.objects.create(user=user, file_format=file_format, filters=filters.as_dict(),
                                 remote_addr=client_ip(request))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(user, filters: Filters) -> Iterator[str]:
    """The CSV text, line by line, with a BOM so that Excel reads the Chinese correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for line in _lines(audit_export_rows(user, filters, limit=EXPORT_MAX_ROWS)):
        yield writer.writerow(line)


def xlsx_bytes(user, filters: Filters) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit trail"))
    for line in _lines(audit_export_rows(user, filters, limit=EXPORT_MAX_ROWS)):
        sheet.append(line)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""The one writer of every CSV and xlsx file runxin hands out.

What every file gets, whoever calls it:

* **No cell can start a formula** (CSV/formula injection, OWASP "CSV Injection", CWE-1236). Text beginning with
  ``= + - @``, a tab, a carriage return or a line feed gets an apostrophe in front, in CSV and in xlsx alike, so
  a file opened, edited and saved again as CSV stays safe. In xlsx every text cell is also written with the
  string type, never as a formula; numbers stay numbers.
* **Who asked for it, and when**: a CSV starts with one comment line ``# 导出人: <username> · <time>`` before
  its header; an xlsx names the requester in its document properties (creator, created, description) and on
  a second sheet, "Export info", after the data sheet.
* **An audit row**: ``audit.Export`` (user, time, format, what and which filters, client address), written
  before the first byte is sent. Per-student read events (``access.ReadEvent``) stay the caller's job: only
  the caller knows which students a row is about.
* **Streaming**: CSV is a generator of lines; xlsx is written row by row (openpyxl write-only mode) to a
  temporary file that the response streams and that disappears when the response closes.

Usage::

    export = writer.start(request, kind="alerts.provincial", file_format="csv", filters={"since": "…"})
    return writer.csv_response(export, header, rows, filename="warnings.csv")
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

# A spreadsheet treats text starting with one of these as a formula (or, for tab/CR/LF, skips to one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: Any) -> str:
    """Any value as text a spreadsheet shows as text: None is empty, a formula start gets an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_value(value: Any) -> Any:
    """For xlsx: numbers stay numbers, everything else becomes safe text (booleans as True/False, like CSV)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    return safe_text(value)


@dataclass(frozen=True)
class Export:
    """One export in progress: who asked, when, what (a dotted kind such as ``alerts.provincial``)."""

    user: Any
    at: datetime
    kind: str
    title: str
    file_format: str
    filters: dict = field(default_factory=dict)

    @property
    def requester(self) -> str:
        name = getattr(self.user, "display_name", "") or ""
        username = self.user.get_username()
        return f"{username} ({name})" if name and name != username else username

    @property
    def local_time(self) -> str:
        return timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M:%S %z")

    def requester_line(self) -> str:
        """The first line of every CSV: ``# 导出人: <username> · <time>`` (a comment: start with #, skip it)."""
        return f"# {_('Exported by')}: {self.requester} · {self.local_time}"


def start(request, *, kind: str, title: str = "", file_format: str, filters: dict | None = None) -> Export:
    """Record that request.user exports `kind` with these filters (audit.Export) and return the export.
    Call it after checking access and before producing a single row."""
    from runxin.access.ip import client_ip
    from runxin.audit.models import Export as ExportRecord

    filters = {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in (filters or {}).items()
               if v not in (None, "")}
    record = ExportRecord.objects.create(user=request.user, file_format=file_format[:4],
                                         filters={"export": kind, **filters}, remote_addr=client_ip(request))
    return Export(user=request.user, at=record.at, kind=kind, title=title or kind, file_format=file_format,
                  filters=filters)


# ------------------------------------------------------------------------------------------------------ CSV

class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(export: Export, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """UTF-8 text with a BOM (Excel reads the Chinese correctly): the requester line, the header, the rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([export.requester_line()])
    yield writer.writerow([safe_text(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_text(value) for value in row])


def attachment(filename: str) -> str:
    """A Content-Disposition that survives non-ASCII names (an ASCII fallback, then RFC 5987)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def csv_response(export: Export, header: Sequence[Any], rows: Iterable[Sequence[Any]], *,
                 filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(export, header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment(filename)
    return response


# ----------------------------------------------------------------------------------------------------- xlsx

@dataclass
class Sheet:
    """One sheet of data: a title, a header row (bold, frozen) and rows; optional column widths."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()


def _cell(sheet, value: Any, *, bold: bool = False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=safe_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # text is text: never a formula, whatever it holds
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31] or "Sheet"


def xlsx_file(export: Export, sheets: Sequence[Sheet]) -> Path:
    """Write the workbook row by row to a temporary file and return its path (the caller streams it and
    removes it)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.creator = export.user.get_username()
    book.properties.lastModifiedBy = export.user.get_username()
    book.properties.created = timezone.localtime(export.at).replace(tzinfo=None)
    book.properties.title = export.title[:200]
    book.properties.description = export.requester_line()[2:]
    for spec in sheets:
        sheet = book.create_sheet(_sheet_title(spec.title))
        for index, width in enumerate(spec.widths, start=1):
            from openpyxl.utils import get_column_letter

            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([_cell(sheet, h, bold=True) for h in spec.header])
        for row in spec.rows:
            sheet.append([_cell(sheet, v) for v in row])
    info = book.create_sheet(_sheet_title(_("Export info")))
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    for label, value in [(_("Exported by"), export.requester), (_("Time"), export.local_time),
                         (_("What"), export.title)] + [(k, v) for k, v in export.filters.items()]:
        info.append([_cell(info, label, bold=True), _cell(info, value)])
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - streamed, then removed
    handle.close()
    book.save(handle.name)
    return Path(handle.name)


def xlsx_response(export: Export, sheets: Sequence[Sheet], *, filename: str) -> FileResponse:
    path = xlsx_file(export, sheets)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    path.unlink()  # the open handle keeps the data until the response is sent
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment(filename)
    return response

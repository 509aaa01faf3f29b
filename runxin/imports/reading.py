"""Streaming rows out of roster files: .csv (UTF-8 with or without BOM, GBK/GB18030) and .xlsx.

Pure Python, no database. Rows come one at a time with their line number in the file, so memory stays
flat whatever the file's size. Cells are text: spreadsheet numbers and dates are rendered the way a person
would have typed them, and a long number Excel stored as a float shows as '3.20500201101E+17' so the
validation can say what went wrong.

Limits (`Limits`, from the settings IMPORT_MAX_ROWS, IMPORT_MAX_UNZIPPED_MB, IMPORT_MAX_CELL_CHARS) are checked
before anything is parsed where the file tells (a workbook's zip directory: total unpacked size, compression
ratio of each part, the shared-strings part that openpyxl holds in memory whole) and while streaming otherwise
(rows, cell and line length): a zip bomb or a runaway file is refused with a message naming the limit.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import NamedTuple

from .values import Bad, gettext_noop

SAMPLE_BYTES = 1 << 20
MB = 1 << 20
# A part of a workbook that unpacks to more than this many times its packed size is a zip bomb, not a roster
# (real sheets pack 5–30 times); parts under RATIO_FLOOR bytes are too small to matter.
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR = 1 * MB
MAX_ZIP_MEMBERS = 10_000
HEADER_ALLOWANCE = 20  # title and header lines above the data do not count against IMPORT_MAX_ROWS


class Unreadable(Bad):
    pass


class Limits(NamedTuple):
    max_rows: int = 1_000_000
    max_unzipped_mb: int = 200
    max_cell_chars: int = 1_000

    @property
    def max_line_chars(self) -> int:
        return max(65_536, 32 * self.max_cell_chars)

    @classmethod
    def from_settings(cls) -> "Limits":
        from django.conf import settings

        default = cls()
        return cls(max_rows=getattr(settings, "IMPORT_MAX_ROWS", default.max_rows),
                   max_unzipped_mb=getattr(settings, "IMPORT_MAX_UNZIPPED_MB", default.max_unzipped_mb),
                   max_cell_chars=getattr(settings, "IMPORT_MAX_CELL_CHARS", default.max_cell_chars))


def check_file(path: str | Path, limits: Limits | None = None) -> None:
    """Refuse a file that breaks a limit visible without parsing it (for .xlsx: the zip directory)."""
    path = Path(path)
    if file_kind(path) == "xlsx":
        check_workbook(path, limits)


def check_workbook(path: str | Path, limits: Limits | None = None) -> None:
    """Read only the zip's central directory (sizes as declared there, which Python's zipfile also enforces
    when unpacking) and refuse a workbook that would unpack too far. Memory and time stay small whatever
    the declared sizes."""
    limits = limits or Limits.from_settings()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Unreadable(gettext_noop("the file cannot be opened as an .xlsx workbook")) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise Unreadable(gettext_noop("the file cannot be opened as an .xlsx workbook"))
    total = 0
    for member in members:
        unpacked = member.file_size
        if unpacked > RATIO_FLOOR and unpacked > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise Unreadable(gettext_noop("the workbook is packed suspiciously tightly (a part unpacks to %(ratio)s "
                                          "times its size; at most %(limit)s times is accepted): save it again "
                                          "from Excel, or as CSV"),
                             ratio=unpacked // max(member.compress_size, 1), limit=MAX_COMPRESSION_RATIO)
        if member.filename.lower().endswith("sharedstrings.xml") and unpacked > limits.max_unzipped_mb * MB // 4:
            raise Unreadable(gettext_noop("the workbook's text table unpacks to more than %(limit)s MB: split the "
                                          "file, or save it as CSV"), limit=limits.max_unzipped_mb // 4)
        total += unpacked
    if total > limits.max_unzipped_mb * MB:
        raise Unreadable(gettext_noop("the workbook unpacks to more than %(limit)s MB: split the file, or save it "
                                      "as CSV"), limit=limits.max_unzipped_mb)


def _too_many_rows(limits: Limits) -> Unreadable:
    return Unreadable(gettext_noop("the file has more than %(limit)s rows: split it, for example by grade"),
                      limit=limits.max_rows)


def _check_cells(line: int, cells: list, limits: Limits) -> None:
    for cell in cells:
        if len(cell) > limits.max_cell_chars:
            raise Unreadable(gettext_noop("line %(line)s has a cell longer than %(limit)s characters: is this the "
                                          "right file?"), line=line, limit=limits.max_cell_chars)


def detect_encoding(sample: bytes) -> str:
    """'utf-8-sig' for a BOM, 'utf-8' when the sample decodes as UTF-8, else 'gb18030' (a superset of GBK,
    what Excel on a Chinese Windows writes as 'CSV')."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"  # the sample cut a character in half
    try:
        sample.decode("gb18030")
    except UnicodeDecodeError:
        raise Unreadable(gettext_noop("the file is neither UTF-8 nor GBK text: save it as CSV (UTF-8) or .xlsx")) from None
    return "gb18030"


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and counts the bytes read, for the progress bar."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.consumed += n or 0
        return n


class RowSource:
    """Iterate `for line, cells in source`; `progress` is the share read so far (0.0–1.0)."""

    def __init__(self, path: str | Path, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or Limits.from_settings()
        self.size = self.path.stat().st_size
        self.kind = file_kind(self.path)
        self._counter: _CountingReader | None = None
        self._rows_total: int | None = None
        self._rows_done = 0

    @property
    def progress(self) -> float:
        if self._counter is not None and self.size:
            return min(1.0, self._counter.consumed / self.size)
        if self._rows_total:
            return min(1.0, self._rows_done / self._rows_total)
        return 0.0

    def __iter__(self) -> Iterator[tuple[int, list]]:
        return self._csv_rows() if self.kind == "csv" else self._xlsx_rows()

    def _csv_rows(self) -> Iterator[tuple[int, list]]:
        with open(self.path, "rb") as raw:
            encoding = detect_encoding(raw.read(SAMPLE_BYTES))
            raw.seek(0)
            self._counter = _CountingReader(raw)
            buffered = io.BufferedReader(self._counter, buffer_size=1 << 20)
            text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
            sample = text.read(8192)
            dialect = _sniff(sample)
            limits = self.limits
            reader = csv.reader(_chain(sample, text, limits.max_line_chars), dialect)
            previous = 0
            rows = 0
            try:
                for cells in reader:
                    line = previous + 1
                    previous = reader.line_num
                    rows += 1
                    if rows > limits.max_rows + HEADER_ALLOWANCE:
                        raise _too_many_rows(limits)
                    _check_cells(line, cells, limits)
                    yield line, cells
            except UnicodeDecodeError:
                raise Unreadable(gettext_noop("the text after line %(line)s is not valid %(encoding)s: the file mixes "
                                              "encodings; save it again as CSV (UTF-8)"),
                                 line=previous, encoding=encoding.upper()) from None
            except csv.Error as error:
                raise Unreadable(gettext_noop("line %(line)s cannot be read as CSV: %(error)s"),
                                 line=previous + 1, error=str(error)) from None

    def _xlsx_rows(self) -> Iterator[tuple[int, list]]:
        from openpyxl import load_workbook

        limits = self.limits
        check_workbook(self.path, limits)  # before openpyxl unpacks anything
        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or mislabelled file
            raise Unreadable(gettext_noop("the file cannot be opened as an .xlsx workbook")) from None
        try:
            sheet = book.worksheets[0]
            self._rows_total = sheet.max_row or None
            if self._rows_total and self._rows_total > limits.max_rows + HEADER_ALLOWANCE:
                raise _too_many_rows(limits)
            for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if index > limits.max_rows + HEADER_ALLOWANCE:  # the declared dimension may be missing or wrong
                    raise _too_many_rows(limits)
                self._rows_done = index
                cells = [_cell_text(value) for value in row]
                _check_cells(index, cells, limits)
                yield index, cells
        finally:
            book.close()


def _chain(sample: str, rest: io.TextIOWrapper, max_chars: int) -> Iterator[str]:
    """Lines of the sample already read, then the rest of the stream (csv.reader wants lines), each at most
    `max_chars` long: a file without line breaks is refused instead of read into memory whole."""
    buffer = io.StringIO(sample + rest.readline(max_chars + 1))
    number = 0
    for line in _bounded(buffer.readline, max_chars):
        number += 1
        yield line
    for line in _bounded(rest.readline, max_chars, start=number):
        yield line


def _bounded(readline, max_chars: int, start: int = 0) -> Iterator[str]:
    number = start
    while line := readline(max_chars + 1):
        number += 1
        if len(line) > max_chars and not line.endswith("\n"):
            raise Unreadable(gettext_noop("line %(line)s is longer than %(limit)s characters: is this a roster file?"),
                             line=number, limit=max_chars)
        yield line


def _sniff(sample: str) -> type[csv.Dialect] | csv.Dialect:
    first = sample.split("\n", 3)
    head = "\n".join(first[:3])
    counts = {d: head.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=counts.__getitem__) if any(counts.values()) else ","

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1e15:
            return f"{value:.15G}"  # what Excel shows: the digits beyond 15 are gone
        return repr(value)
    return str(value)


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return "csv"
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix == ".xls":
        raise Unreadable(gettext_noop("old .xls workbooks are not supported: save the file as .xlsx or CSV"))
    raise Unreadable(gettext_noop("unsupported file type %(suffix)s: use .xlsx or .csv"), suffix=suffix or "?")

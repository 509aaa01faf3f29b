"""Streaming rows out of roster files: .csv (UTF-8 with or without BOM, GBK/GB18030) and .xlsx.

Pure Python, no database. Rows come one at a time with their line number in the file, so memory stays
flat whatever the file's size. Cells are text: spreadsheet numbers and dates are rendered the way a person
would have typed them, and a long number Excel stored as a float shows as '3.20500201101E+17' so the
validation can say what went wrong.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

from .values import Bad, gettext_noop

SAMPLE_BYTES = 1 << 20


class Unreadable(Bad):
    pass


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

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
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
            reader = csv.reader(_chain(sample, text), dialect)
            previous = 0
            try:
                for cells in reader:
                    line = previous + 1
                    previous = reader.line_num
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

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or mislabelled file
            raise Unreadable(gettext_noop("the file cannot be opened as an .xlsx workbook")) from None
        try:
            sheet = book.worksheets[0]
            self._rows_total = sheet.max_row or None
            for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                self._rows_done = index
                yield index, [_cell_text(value) for value in row]
        finally:
            book.close()


def _chain(sample: str, rest: io.TextIOWrapper) -> Iterator[str]:
    """Lines of the sample already read, then the rest of the stream (csv.reader wants lines)."""
    buffer = io.StringIO(sample + rest.readline())
    yield from buffer
    yield from rest


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

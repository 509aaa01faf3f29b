"""The one export writer on its own: every formula start is neutralised in CSV and xlsx, the requester line
comes first, the audit row names the requester, and the imports' rejected rows go through it too."""

import csv
import io

import pytest
from django.test import RequestFactory
from django.utils import translation
from openpyxl import load_workbook

from runxin.audit.models import Export
from runxin.exports import writer

pytestmark = pytest.mark.django_db

EVIL = "=HYPERLINK(\"http://x\",\"a\")"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("value,expected", [
    (EVIL, "'" + EVIL), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("\nx", "'\nx"), ("张一", "张一"), ("a=b", "a=b"), ("", ""), (None, ""), (-3, "'-3"), (True, "True"),
])
def test_safe_text(value, expected):
    assert writer.safe_text(value) == expected


def test_safe_value_keeps_numbers_for_xlsx():
    assert (writer.safe_value(-3), writer.safe_value(2.5), writer.safe_value(None), writer.safe_value("-3")) == (
        -3, 2.5, None, "'-3")


def _export(world, fmt):
    request = RequestFactory().get("/x", REMOTE_ADDR="10.0.0.9")
    request.user = world.psych
    return writer.start(request, kind="test.kind", title="Test", file_format=fmt, filters={"a": 1, "b": ""})


def test_csv_starts_with_the_requester_then_guarded_cells(world):
    export = _export(world, "csv")
    response = writer.csv_response(export, ["name", "=h"], [[EVIL, 1], ["张一", None]], filename="名单.csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff# ")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0] == [export.requester_line()] and "psych" in lines[0][0]
    assert lines[1:] == [["name", "'=h"], ["'" + EVIL, "1"], ["张一", ""]]
    assert "filename*=UTF-8''%E5%90%8D%E5%8D%95.csv" in response["Content-Disposition"]
    record = Export.objects.get()
    assert (record.user, record.file_format, record.filters, record.remote_addr) == (
        world.psych, "csv", {"export": "test.kind", "a": 1}, "10.0.0.9")


def test_xlsx_writes_text_as_text_and_names_the_requester(world):
    export = _export(world, "xlsx")
    response = writer.xlsx_response(export, [writer.Sheet("Data", ["name", "n"], [[EVIL, 7], ["@x", -1.5]])],
                                    filename="x.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    data, info = book.worksheets
    assert [[c.value for c in row] for row in data.iter_rows()] == [["name", "n"], ["'" + EVIL, 7], ["'@x", -1.5]]
    assert data["A2"].data_type == "s" and data["B2"].data_type == "n"
    assert book.properties.creator == "psych" and "psych" in book.properties.description
    assert [row[0].value for row in info.iter_rows()][:3] == ["Exported by", "Time", "What"]
    assert info["B1"].value == "psych"

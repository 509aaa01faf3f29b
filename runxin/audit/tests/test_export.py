"""Exports of the filtered audit trail: CSV and xlsx, safe against formula injection, themselves audited."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from runxin.access.read_audit import record_read
from runxin.audit.export import safe_cell
from runxin.audit.models import Export

pytestmark = pytest.mark.django_db

EVIL = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.mark.parametrize("value,expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("plain", "plain"), ("", ""), (None, ""), ("10.0.0.1", "10.0.0.1"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def _history(world):
    record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=1, purpose=EVIL)
    record_read(user=world.psych, student=world.b1, record_type="student.profile", record_id=2, purpose="ok")


def test_csv_export_of_the_filtered_rows(world, client_for):
    _history(world)
    response = client_for(world.auditor).get(reverse("audit:export", args=["csv"]), {"action": "read"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(lines) == 3  # header and two reads
    from runxin.audit.selectors import pseudonym

    # Issue 9: students by pseudonym, never the 学籍号 or the name.
    assert {line[6] for line in lines[1:]} == {pseudonym("student", world.a1.pk), pseudonym("student", world.b1.pk)}
    assert world.a1.student_number not in text
    assert "'" + EVIL in {line[7] for line in lines[1:]}
    assert "张一" not in text and "王三" not in text


def test_xlsx_export_is_formula_safe(world, client_for):
    from openpyxl import load_workbook

    _history(world)
    response = client_for(world.auditor).get(reverse("audit:export", args=["xlsx"]), {"action": "read"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 3
    evil = [row[7] for row in values[1:] if row[7] and EVIL in row[7]]
    assert evil == ["'" + EVIL]
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value)


def test_export_is_itself_audited(world, client_for):
    client_for(world.auditor).get(reverse("audit:export", args=["csv"]), {"actor": "psych"}, REMOTE_ADDR="10.7.7.7")
    export = Export.objects.get()
    assert (export.user, export.file_format, export.filters, export.remote_addr) == (
        world.auditor, "csv", {"actor": "psych"}, "10.7.7.7")
    assert LogEntry.objects.filter(object_pk=str(export.pk), content_type__model="export").exists()


def test_export_refuses_bad_filters_and_unknown_formats(world, client_for):
    client = client_for(world.auditor)
    assert client.get(reverse("audit:export", args=["csv"]), {"ip": "nope"}).status_code == 400
    assert client.get(reverse("audit:export", args=["pdf"])).status_code == 404
    assert Export.objects.count() == 0


def test_export_pages_through_more_than_one_batch(world, client_for, settings):
    from runxin.access.models import ReadEvent
    from runxin.audit import selectors

    ReadEvent.objects.bulk_create([
        ReadEvent(user=world.psych, student=world.a1, record_type="student.profile", record_id=str(i))
        for i in range(selectors.EXPORT_PAGE_SIZE + 5)
    ])
    response = client_for(world.auditor).get(reverse("audit:export", args=["csv"]), {"action": "read"})
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    assert len(lines) == selectors.EXPORT_PAGE_SIZE + 5 + 1

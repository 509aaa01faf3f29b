"""The import pages: upload, preview, import, downloads, template; access and denial; query counts."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from runxin.imports.models import ImportBatch
from runxin.people.models import Student

from .helpers import NATIONAL_HEADER, student_row, write_csv

pytestmark = pytest.mark.django_db


def _roster(tmp_path, rows, name="名单.csv", **kw):
    path = write_csv(tmp_path / name, rows, **kw)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def _upload(client, tmp_path, rows, **kw):
    return client.post(reverse("imports:roster_upload"), {"file": _roster(tmp_path, rows, **kw)})


def test_psych_teacher_uploads_previews_and_imports_the_valid_rows(world, client_for, tmp_path):
    client = client_for(world.psych)
    bad = student_row(2, 出生日期="2011-02-30")
    response = _upload(client, tmp_path, [student_row(1, name="周一"), bad, student_row(3, name="吴三")],
                       title="东区第一中学学生名单")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    assert (batch.status, batch.school, batch.created_by, batch.rows_read, batch.rejected, batch.created) == (
        "previewed", world.school, world.psych, 3, 1, 2)
    assert not Student.objects.filter(name="周一").exists()  # the preview wrote nothing

    body = client.get(response["Location"]).content.decode()
    assert "2011-02-30" in body and "出生日期 (D)" in body and ">4<" in body  # line 4: title, header, row 1, row 2
    assert "周一" in body  # a sample of the valid rows

    response = client.post(reverse("imports:batch_commit", args=[batch.pk]), {"mode": "valid"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.mode, batch.created, batch.rejected) == ("imported", "valid", 2, 1)
    assert set(Student.objects.filter(school=world.school, name__in=["周一", "吴三"]).values_list("name", flat=True)) == {
        "周一", "吴三"}
    entry = LogEntry.objects.get(object_pk=str(batch.pk), content_type__model="importbatch")
    assert entry.actor == world.psych and entry.changes["created"] == ["", "2"]

    # a second click does not import twice
    client.post(reverse("imports:batch_commit", args=[batch.pk]), {"mode": "valid"})
    assert LogEntry.objects.filter(content_type__model="importbatch").count() == 1


def test_all_or_nothing_refuses_and_then_the_valid_rows_can_still_be_taken(world, client_for, tmp_path):
    client = client_for(world.psych)
    _upload(client, tmp_path, [student_row(1), student_row(2, 性别="0")])
    batch = ImportBatch.objects.get()
    client.post(reverse("imports:batch_commit", args=[batch.pk]), {"mode": "all"})
    batch.refresh_from_db()
    assert batch.status == "refused" and Student.objects.filter(school=world.school).count() == 3
    assert "Nothing was imported" in client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    client.post(reverse("imports:batch_commit", args=[batch.pk]), {"mode": "valid"})
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created == 1


def test_rejected_rows_download_as_csv_and_xlsx_with_reasons_and_no_formulas(world, client_for, tmp_path):
    client = client_for(world.psych)
    evil = student_row(2, name="=HYPERLINK(\"http://x\")", 性别="9")
    _upload(client, tmp_path, [student_row(1), evil])
    batch = ImportBatch.objects.get()
    response = client.get(reverse("imports:batch_rejected", args=[batch.pk, "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    requester, *rows = list(csv.reader(io.StringIO(text)))  # the first line names who downloaded it
    assert requester[0].startswith("# ") and "psych" in requester[0]
    assert rows[0][1:-1] == NATIONAL_HEADER and len(rows) == 2
    assert rows[1][0] == "3" and rows[1][2] == "'=HYPERLINK(\"http://x\")"
    assert "unknown sex code 9" in rows[1][-1] and "性别 (C)" in rows[1][-1]

    response = client.get(reverse("imports:batch_rejected", args=[batch.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == 3 and values[1][2].startswith("'=") and "unknown sex code" in values[1][-1]


def test_unreadable_file_shows_why(world, client_for, tmp_path):
    client = client_for(world.psych)
    upload = SimpleUploadedFile("名单.csv", "随便什么,内容\n1,2\n".encode(), content_type="text/csv")
    client.post(reverse("imports:roster_upload"), {"file": upload})
    batch = ImportBatch.objects.get()
    assert batch.status == "failed"
    assert "no header row found" in client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()


def test_wrong_file_type_is_refused_on_the_form(world, client_for):
    client = client_for(world.psych)
    response = client.post(reverse("imports:roster_upload"),
                           {"file": SimpleUploadedFile("名单.xls", b"\xd0\xcf\x11\xe0", content_type="application/vnd.ms-excel")})
    assert response.status_code == 400 and ".xls" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_centre_staff_chooses_among_the_districts_schools(world, client_for, tmp_path):
    client = client_for(world.district_centre)
    body = client.get(reverse("imports:roster_upload")).content.decode()
    assert "东区第一中学" in body and "西区实验学校" not in body
    response = client.post(reverse("imports:roster_upload"),
                           {"school": world.other_school.pk, "file": _roster(tmp_path, [student_row(1)])})
    assert response.status_code == 400 and not ImportBatch.objects.exists()


def test_upload_page_lists_own_batches_in_a_fixed_number_of_queries(world, client_for, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.psych)
    for n in range(3):
        _upload(client, tmp_path, [student_row(n + 1)], name=f"r{n}.csv")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("imports:roster_upload"))
    for n in range(3, 8):
        _upload(client, tmp_path, [student_row(n + 1)], name=f"r{n}.csv")
    with CaptureQueriesContext(connection) as more:
        body = client.get(reverse("imports:roster_upload")).content.decode()
    assert len(more.captured_queries) == len(few.captured_queries) <= 12
    assert body.count("r7.csv") == 1 and body.count("r0.csv") == 1


def test_template_download_has_national_headers_and_instructions(world, client_for):
    response = client_for(world.psych).get(reverse("imports:template", args=["students"]))
    book = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[:4] == ["学籍号", "姓名", "性别", "出生日期"] and "成员1联系电话" in header
    assert len(book.worksheets) == 2
    assert client_for(world.psych).get(reverse("imports:template", args=["nothing"])).status_code == 404


# ---- denial

@pytest.mark.parametrize("who", ["outsider", "head", "mentor", "city_admin", "auditor", "committee"])
def test_users_without_roster_import_are_refused_the_upload_page(world, client_for, who):
    assert client_for(getattr(world, who)).get(reverse("imports:roster_upload")).status_code == 403


@pytest.mark.parametrize("who", ["outsider", "head", "other_psych", "mentor"])
def test_a_batch_is_hidden_from_everyone_else(world, client_for, tmp_path, who):
    _upload(client_for(world.psych), tmp_path, [student_row(1), student_row(2, 性别="9")])
    batch = ImportBatch.objects.get()
    client = client_for(getattr(world, who))
    assert client.get(reverse("imports:batch_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:batch_rejected", args=[batch.pk, "csv"])).status_code == 404
    assert client.post(reverse("imports:batch_commit", args=[batch.pk]), {"mode": "valid"}).status_code == 404
    batch.refresh_from_db()
    assert batch.status == "previewed"


def test_a_colleague_with_roster_import_at_the_school_may_see_the_batch(world, client_for, tmp_path):
    _upload(client_for(world.psych), tmp_path, [student_row(1)])
    batch = ImportBatch.objects.get()
    assert client_for(world.leader).get(reverse("imports:batch_detail", args=[batch.pk])).status_code == 200
    assert client_for(world.district_centre).get(reverse("imports:batch_detail", args=[batch.pk])).status_code == 200


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(reverse("imports:roster_upload"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_htmx_poll_returns_the_body_only(world, client_for, tmp_path):
    client = client_for(world.psych)
    _upload(client, tmp_path, [student_row(1)])
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status="previewing", progress=0.42, rows_done=4200)
    body = client.get(reverse("imports:batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="batch-body"') and 'hx-trigger="every 1s"' in body and "42" in body
    assert "<html" not in body


def test_uploading_an_already_imported_file_says_so(world, client_for, tmp_path):
    client = client_for(world.psych)
    _upload(client, tmp_path, [student_row(1)])
    first = ImportBatch.objects.get()
    client.post(reverse("imports:batch_commit", args=[first.pk]), {"mode": "valid"})
    _upload(client, tmp_path, [student_row(1)])
    second = ImportBatch.objects.exclude(pk=first.pk).get()
    assert (second.created, second.updated, second.unchanged) == (0, 0, 1)
    assert "already imported" in client.get(reverse("imports:batch_detail", args=[second.pk])).content.decode()


def test_staff_link_only_for_users_with_staff_import(world, client_for):
    assert reverse("imports:staff_upload") in client_for(world.psych).get(reverse("imports:roster_upload")).content.decode()
    assert reverse("imports:staff_upload") not in client_for(world.district_centre).get(
        reverse("imports:roster_upload")).content.decode()

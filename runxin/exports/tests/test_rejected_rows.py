"""The roster's rejected rows go through the one export writer: a formula in a name stays text in CSV and
xlsx, the file names who downloaded it, the download is recorded in audit.Export, and a stranger gets a 404
and leaves no record."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from runxin.audit.models import Export
from runxin.imports.models import ImportBatch
from runxin.imports.tests.helpers import student_row, write_csv

pytestmark = pytest.mark.django_db

EVIL = "=HYPERLINK(\"http://x\",\"a\")"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


def test_rejected_rows_are_guarded_name_the_requester_and_are_audited(world, client_for, tmp_path):
    client = client_for(world.psych)
    path = write_csv(tmp_path / "名单.csv", [student_row(1), student_row(2, name=EVIL, 性别="9")])
    client.post(reverse("imports:roster_upload"),
                {"file": SimpleUploadedFile("名单.csv", path.read_bytes(), content_type="text/csv")})
    batch = ImportBatch.objects.get()
    assert batch.rejected == 1

    response = client.get(reverse("imports:batch_rejected", args=[batch.pk, "csv"]))
    requester, header, row = csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    assert requester[0].startswith("# ") and "psych" in requester[0]
    assert "'" + EVIL in row and EVIL not in row

    response = client.get(reverse("imports:batch_rejected", args=[batch.pk, "xlsx"]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    [cell] = [c for r in book.worksheets[0].iter_rows(min_row=2) for c in r if c.value and "HYPERLINK" in str(c.value)]
    assert cell.value == "'" + EVIL and cell.data_type == "s"
    assert book.properties.creator == "psych"

    assert list(Export.objects.order_by("id").values_list("user", "file_format", "filters")) == [
        (world.psych.pk, fmt, {"export": "imports.rejected_rows", "batch": batch.pk, "file": "名单.csv"})
        for fmt in ("csv", "xlsx")]
    assert client_for(world.other_psych).get(
        reverse("imports:batch_rejected", args=[batch.pk, "csv"])).status_code == 404
    assert Export.objects.count() == 2

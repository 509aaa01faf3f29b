"""Issue 9 item 10: a file that would unpack or run too far is refused before parsing, quickly, with a message
naming the limit, and memory stays flat while checking it."""

import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from runxin.imports import services
from runxin.imports.models import ImportBatch
from runxin.imports.reading import Limits, RowSource, Unreadable, check_workbook

from .helpers import NATIONAL_HEADER, student_row, write_csv

MB = 1 << 20


def zip_bomb_xlsx(path, shared_strings_mb: int = 90):
    """A workbook whose sharedStrings.xml is `shared_strings_mb` MB of one repeated character: a few hundred KB
    packed. Written in chunks, so building it takes little memory either."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                                'package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(b'<sst><si><t>')
            chunk = b"A" * MB
            for _ in range(shared_strings_mb):
                member.write(chunk)
            member.write(b"</t></si></sst>")
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    return zip_bomb_xlsx(tmp_path_factory.mktemp("bomb") / "名单.xlsx")


def test_the_zip_bomb_is_small_on_disk_and_refused_quickly_without_memory(bomb):
    assert bomb.stat().st_size < 2 * MB  # 90 MB of text packed into a small upload
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(Unreadable) as refused:
        check_workbook(bomb, Limits())
    seconds = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 2
    assert peak < 5 * MB  # the check reads the zip directory only (the old path went from 100 to 600 MB)
    assert "at most 100 times is accepted" in refused.value.render()


def test_reading_the_bomb_is_refused_before_openpyxl_unpacks_it(bomb, monkeypatch):
    import openpyxl

    def never(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(Unreadable, match="packed suspiciously tightly"):
        list(RowSource(bomb))


def test_the_upload_page_refuses_the_bomb_with_the_limit_in_the_message(world, client_for, bomb, settings):
    client = client_for(world.psych)
    upload = SimpleUploadedFile("名单.xlsx", bomb.read_bytes())
    started = time.monotonic()
    response = client.post(reverse("imports:roster_upload"), {"file": upload})
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "at most 100 times is accepted" in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert not list((settings.MEDIA_ROOT / "imports").rglob("*.*"))  # nothing left on disk either


def test_a_workbook_over_the_unpacked_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # stored: no compression ratio to catch
        archive.writestr("xl/worksheets/sheet1.xml", b"x" * (3 * MB))
    with pytest.raises(Unreadable) as refused:
        check_workbook(path, Limits(max_unzipped_mb=2))
    assert refused.value.render() == "the workbook unpacks to more than 2 MB: split the file, or save it as CSV"
    with pytest.raises(Unreadable, match="text table unpacks to more than 1 MB"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("xl/sharedStrings.xml", b"x" * (2 * MB))
        check_workbook(path, Limits(max_unzipped_mb=4))
    check_workbook(path, Limits(max_unzipped_mb=8))  # within the limits: no complaint


def test_an_ordinary_workbook_passes_the_check(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(NATIONAL_HEADER)
    for n in range(200):
        sheet.append(student_row(n))
    path = tmp_path / "ok.xlsx"
    book.save(path)
    check_workbook(path, Limits())
    assert len(list(RowSource(path, Limits()))) == 201


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_too_many_rows_are_refused_with_the_limit(tmp_path, suffix):
    rows = [student_row(n) for n in range(30)]
    if suffix == "csv":
        path = write_csv(tmp_path / "r.csv", rows)
    else:
        book = Workbook()
        for row in [NATIONAL_HEADER, *rows]:
            book.active.append(row)
        path = tmp_path / "r.xlsx"
        book.save(path)
    with pytest.raises(Unreadable) as refused:
        list(RowSource(path, Limits(max_rows=5)))  # 31 lines: over 5 data rows and the header allowance
    assert refused.value.render() == "the file has more than 5 rows: split it, for example by grade"
    assert len(list(RowSource(path, Limits(max_rows=30)))) == 31


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_an_overlong_cell_is_refused_with_the_limit(tmp_path, suffix):
    rows = [student_row(1), student_row(2, 姓名="名" * 300)]
    if suffix == "csv":
        path = write_csv(tmp_path / "c.csv", rows)
    else:
        book = Workbook()
        for row in [NATIONAL_HEADER, *rows]:
            book.active.append(row)
        path = tmp_path / "c.xlsx"
        book.save(path)
    with pytest.raises(Unreadable) as refused:
        list(RowSource(path, Limits(max_cell_chars=200)))
    assert refused.value.render() == "line 3 has a cell longer than 200 characters: is this the right file?"


def test_a_csv_without_line_breaks_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"x" * (4 * MB))
    tracemalloc.start()
    with pytest.raises(Unreadable, match="line 1 is longer than 65536 characters"):
        list(RowSource(path, Limits()))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3 * MB


def test_the_preview_of_a_too_long_file_fails_with_the_limit_on_the_page(world, client_for, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    path = write_csv(tmp_path / "r.csv", [student_row(n) for n in range(40)])
    batch = services.batch_create(user=world.psych, school=world.school, kind="students", upload=path,
                                  original_name="r.csv")
    services.batch_preview(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    page = client_for(world.psych).get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "the file has more than 3 rows: split it, for example by grade" in page

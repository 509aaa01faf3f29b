"""A psychology teacher signs in, uploads a roster with one bad row, reads the error and imports the rest."""

import os

import pytest

from runxin.imports.models import ImportBatch
from runxin.people.models import Student

from .helpers import student_row, write_csv

# Playwright's sync API runs an event loop in this thread; the ORM calls here are plain test set-up and checks.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_psych_teacher_imports_a_roster_with_one_bad_row(world, page_for, live_server, tmp_path):
    rows = [student_row(n, name=name) for n, name in enumerate(["周一", "吴二", "郑三", "孙四"], start=1)]
    rows.insert(2, student_row(9, name="钱九", 出生日期="2013-02-30"))
    path = write_csv(tmp_path / "七年级名单.csv", rows, title="东区第一中学 七年级学生名单", encoding="gbk")

    page = page_for(world.psych)
    page.goto(f"{live_server.url}/imports/")
    page.screenshot(path="test-artifacts/imports-upload.png", full_page=True)
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit].btn >> nth=-1")
    page.wait_for_selector("#problems")

    problem = page.locator("#problems tbody tr")
    assert problem.count() == 1
    cells = problem.first.locator("td").all_inner_texts()
    assert cells[0] == "5" and cells[1] == "出生日期 (D)" and "2013-02-30" in cells[2]
    assert page.locator("#count-rejected").inner_text() == "1"
    page.screenshot(path="test-artifacts/imports-preview.png", full_page=True)

    page.check("input[name=mode][value=valid]")
    page.click("#commit-form button[type=submit]")
    page.wait_for_selector("#batch-status:has-text('Imported'), #batch-status:has-text('已导入')")
    page.screenshot(path="test-artifacts/imports-result.png", full_page=True)
    assert page.get_by_role("link", name="Download the rejected rows (.csv)").count() + page.locator(
        "a[href$='rejected.csv']").count() >= 1

    batch = ImportBatch.objects.get()
    assert (batch.status, batch.created, batch.rejected) == ("imported", 4, 1)
    assert set(Student.objects.filter(school=world.school, name__in=["周一", "吴二", "郑三", "孙四", "钱九"])
               .values_list("name", flat=True)) == {"周一", "吴二", "郑三", "孙四"}

"""In Chromium: the head teacher issues the class's accounts and prints the credential sheet (a download); a
student signs in with the first password from the sheet, must choose their own, and reaches their questionnaires."""

import os
import re
from pathlib import Path

import pytest

from runxin.accounts.models import StudentCredential
from runxin.people.models import RoleAssignment

from .test_student_accounts import pdf_text

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_head_teacher_prints_the_sheet_and_a_student_signs_in_for_the_first_time(world, page_for, live_server,
                                                                                 browser, tmp_path):
    RoleAssignment.objects.filter(user=world.student_user).delete()  # 张一 has no account yet
    page = page_for(world.head, viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/accounts/students/")
    page.wait_for_url(re.compile(rf".*/accounts/students/class/{world.class1.pk}/"))
    page.click("#issue-accounts")
    page.wait_for_selector("#print-sheet")
    assert page.locator("#student-accounts tbody tr").count() == 2
    with page.expect_download() as download:
        page.click("#print-sheet")
    sheet = Path(tmp_path) / "sheet.pdf"
    download.value.save_as(sheet)
    text = pdf_text(sheet.read_bytes())
    username = StudentCredential.objects.get(student=world.a1).user.username
    assert username in text
    # The first password is the Courier text right after the username on the slip.
    password = re.search(rf"\({re.escape(username)}\) Tj.*?\(([A-Za-z2-9]{{4}}-[A-Za-z2-9]{{4}}-[A-Za-z2-9]{{4}})\) Tj",
                         text, re.S).group(1)

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    student = context.new_page()
    student.goto(f"{live_server.url}/accounts/login/?username={username}")  # what the slip's QR code opens
    assert student.input_value("#id_username") == username
    student.fill("#id_password", password)
    student.click("main button[type=submit]")
    student.wait_for_url(re.compile(r".*/accounts/password/.*"))
    student.fill("#id_old_password", password)
    student.fill("#id_new_password1", "Maple-Harbour-2026")
    student.fill("#id_new_password2", "Maple-Harbour-2026")
    student.click("main button[type=submit]")
    student.wait_for_url(re.compile(rf"{re.escape(live_server.url)}/.*"))
    student.goto(f"{live_server.url}/screening/mine/")
    assert "/screening/mine/" in student.url and student.locator("main h1").count() == 1
    context.close()
    assert StudentCredential.objects.get(student=world.a1).first_password == ""

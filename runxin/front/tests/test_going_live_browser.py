"""Going live, walked in Chromium (issue 11, Tests): the city administrator imports a unit file with one bad row,
fixes it and the school appears; its roster and staff files are imported; the head teacher (an account from the
staff file) prints the class credential sheet; a student signs in for the first time, changes the password and
takes a questionnaire; a parent signs in with the code from the logging SMS adapter, consents and reports a
concern; a student who transferred out of the region can no longer sign in.

Set-up outside the journey goes through services: the screening campaign is opened by the school's new
psychology teacher (screening.services), and the transfer out of the region is the student's status, which the
roster system, not this journey, changes."""

import os
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from runxin.accounts.models import StudentCredential, User
from runxin.accounts.tests.test_student_accounts import pdf_text
from runxin.alerts import models as alerts
from runxin.imports.tests.helpers import student_row, write_csv
from runxin.org.models import OrgUnit
from runxin.people.models import Guardian, RoleAssignment, Student
from runxin.screening.models import ConsentRecord, Result, Submission
from runxin.testing.browser import fits_the_screen, sign_in_by_sms
from runxin.testing.factories import TEST_PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
UNIT_HEADER = ["类型", "上级代码", "名称", "代码", "学校类型", "寄宿", "地址", "规划规模", "协同单位类型", "片区"]
STAFF_HEADER = ["姓名", "工号/用户名", "手机", "角色", "任职单位"]
SCHOOL = "东区第二中学"
CLASS = "七年级(1)班"


def units_file(path: Path, second_school_code: str) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["测试市 学校名录"])  # a title line above the header
    sheet.append(UNIT_HEADER)
    sheet.append(["学校", "D-E", "东区第三中学", "3205020003", "初中", "走读", "东区三路 3 号", 900, "", "城东片"])
    sheet.append(["学校", "D-E", SCHOOL, second_school_code, "初中", "走读", "东区二路 2 号", 1200, "", "城东片"])
    book.save(path)
    return path


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def change_password(page, old: str, new: str) -> None:
    """The first sign-in lands on the password change, which must be done before anything else."""
    assert "/accounts/password/" in page.url
    page.fill("#id_old_password", old)
    page.fill("#id_new_password1", new)
    page.fill("#id_new_password2", new)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/password/" not in page.url


def upload_and_import(page, base: str, kind_path: str, school: str, path: Path) -> None:
    """The roster or staff upload page: choose the school, upload, wait for the check, import the valid rows."""
    page.goto(f"{base}/imports/{kind_path}")
    page.select_option("select[name=school]", label=school)
    page.set_input_files("input[type=file]", str(path))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#commit-form")
    page.check("input[name=mode][value=valid]")
    page.click("#commit-form button[type=submit]")
    page.wait_for_selector("#batch-status:has-text('Imported'), #batch-status:has-text('已导入')")


def test_going_live(world, browser, live_server, tmp_path, caplog):
    from django.core.cache import cache

    from runxin.screening import services as screening
    from runxin.screening.tests.helpers import make_spec

    cache.clear()
    base = live_server.url
    shots = Path(tmp_path)

    # 1. The city administrator imports the units file; one school's 学校标识码 is a digit short.
    admin_context, admin = new_page(browser, DESKTOP)
    sign_in(admin, base, world.city_admin.username, TEST_PASSWORD)
    admin.goto(f"{base}/imports/units/")
    admin.uncheck("input[name=dry_run]")
    admin.set_input_files("input[type=file]", str(units_file(tmp_path / "units.xlsx", "320502002")))
    admin.click("form.card button[type=submit]")
    admin.wait_for_selector("#report")
    rejected = admin.locator("#report table tbody tr")
    assert rejected.count() == 1
    line, column, why = rejected.first.locator("td").all_inner_texts()
    assert line == "4" and "代码" in column and "320502002" in why
    assert OrgUnit.objects.filter(name="东区第三中学").exists() and not OrgUnit.objects.filter(name=SCHOOL).exists()
    # Fixed, and uploaded again: the school goes in, the other row is matched by its code and left alone.
    admin.uncheck("input[name=dry_run]")
    admin.set_input_files("input[type=file]", str(units_file(tmp_path / "units-fixed.xlsx", "3205020002")))
    admin.click("form.card button[type=submit]")
    admin.wait_for_selector("#report")
    assert admin.locator("#report table").count() == 0
    facts = admin.locator("#report dl.facts dd").all_inner_texts()
    assert facts == ["2", "1", "0", "1", "0"]  # read, new, updated, unchanged, rejected
    admin.goto(f"{base}/org/?q={SCHOOL}")
    assert admin.locator(f"main a:has-text('{SCHOOL}')").count() >= 1
    admin.screenshot(path=str(shots / "1-admin-school-appears.png"), full_page=True)
    admin_context.close()
    school = OrgUnit.objects.get(name=SCHOOL, kind=OrgUnit.Kind.SCHOOL)
    assert school.code == "3205020002" and school.parent == world.east

    # 2. The district centre imports the roster; the security administrator imports the staff list.
    roster = write_csv(tmp_path / "七年级名单.csv", [
        student_row(201, name="周一", klass=CLASS),
        student_row(202, name="吴二", klass=CLASS, male=False),
        student_row(203, name="郑三", klass=CLASS)], title=f"{SCHOOL} 七年级学生名单")
    centre_context, centre = new_page(browser, DESKTOP)
    sign_in(centre, base, world.city_centre.username, TEST_PASSWORD)
    upload_and_import(centre, base, "", SCHOOL, roster)
    centre_context.close()
    klass = OrgUnit.objects.get(parent__parent=school, kind=OrgUnit.Kind.CLASS)
    assert set(Student.objects.filter(school=school).values_list("name", flat=True)) == {"周一", "吴二", "郑三"}

    staff = write_csv(tmp_path / "教职工.csv", [
        ["钱校长", "qian_lead", "13700000001", "校长", "本校"],
        ["孙老师", "sun_psych", "13700000002", "心理教师", "本校"],
        ["陈老师", "chen_head", "13700000003", "班主任", CLASS]], header=STAFF_HEADER)
    sec_context, sec = new_page(browser, DESKTOP)
    sign_in(sec, base, world.secadmin.username, TEST_PASSWORD)
    upload_and_import(sec, base, "staff/", SCHOOL, staff)
    initial = {cells[1]: cells[2] for cells in (row.locator("td").all_inner_texts()
                                                for row in sec.locator("table.data tbody tr").all())
               if len(cells) == 3}
    assert set(initial) == {"qian_lead", "sun_psych", "chen_head"}
    sec.screenshot(path=str(shots / "2-staff-imported.png"), full_page=True)
    sec_context.close()
    assert RoleAssignment.objects.get(user__username="chen_head", is_active=True).org_unit == klass

    # Set-up: the new psychology teacher opens the autumn screening for grade 7 and tells the guardians.
    psych = User.objects.get(username="sun_psych")
    campaign = screening.campaign_open(user=psych, campaign=screening.campaign_create(
        user=psych, spec=make_spec(world, owner=school)))
    screening.consent_mark_notified(user=psych, campaign=campaign, school_class=klass)

    # 3. The head teacher signs in with the password from the staff import, chooses their own, issues the
    # class's accounts and prints the credential sheet.
    head_context, head = new_page(browser, DESKTOP)
    sign_in(head, base, "chen_head", initial["chen_head"])
    change_password(head, initial["chen_head"], "Willow-Bridge-2026")
    head.goto(f"{base}/accounts/students/")
    head.wait_for_url(re.compile(rf".*/accounts/students/class/{klass.pk}/"))
    head.click("#issue-accounts")
    head.wait_for_selector("#print-sheet")
    assert head.locator("#student-accounts tbody tr").count() == 3
    with head.expect_download() as download:
        head.click("#print-sheet")
    sheet = shots / "sheet.pdf"
    download.value.save_as(sheet)
    head.screenshot(path=str(shots / "3-head-accounts.png"), full_page=True)
    head_context.close()
    zhou = Student.objects.get(name="周一", school=school)
    username = StudentCredential.objects.get(student=zhou).user.username
    text = pdf_text(sheet.read_bytes())
    password = re.search(rf"\({re.escape(username)}\) Tj.*?\(([A-Za-z2-9]{{4}}-[A-Za-z2-9]{{4}}-[A-Za-z2-9]{{4}})\) Tj",
                         text, re.S).group(1)

    # 4. The student, on a phone, signs in for the first time, changes the password and takes the questionnaire.
    student_context, student = new_page(browser, PHONE)
    student.goto(f"{base}/accounts/login/?username={username}")  # what the slip's QR code opens
    assert student.input_value("#id_username") == username
    student.fill("#id_password", password)
    student.click("main button[type=submit]")
    student.wait_for_url(re.compile(r".*/accounts/password/.*"))
    change_password(student, password, "Maple-Harbour-2026")
    student.goto(f"{base}/screening/mine/")
    assert fits_the_screen(student)
    student.locator("form[action*='/start/'] button[type=submit]").click()
    student.wait_for_load_state("networkidle")
    for _ in range(40):  # the intro of each part, then one tap per question, up to the review
        if student.url.endswith("/take/review/"):
            break
        if re.search(r"/take/\d+/$", student.url):
            student.locator(".take .nav a.btn").first.click()  # begin this part
            student.wait_for_load_state("networkidle")
            continue
        before = student.url
        student.locator("label.option").first.click()
        student.wait_for_function("url => window.location.href !== url", arg=before)
        student.wait_for_load_state("networkidle")
    assert student.url.endswith("/take/review/")
    student.locator("#submit-form button[type=submit]").click()
    student.wait_for_url("**/take/done/")
    student.screenshot(path=str(shots / "4-student-done.png"), full_page=True)
    student_context.close()
    assert Submission.objects.filter(target__student=zhou).count() == 1
    assert Result.objects.filter(submission__target__student=zhou).count() == 2
    assert StudentCredential.objects.get(student=zhou).first_password == ""

    # 5. 吴二's mother, on a phone, signs in with the SMS code, consents and reports a concern.
    wu = Student.objects.get(name="吴二", school=school)
    phone = Guardian.objects.get(student=wu, position=1).phone
    parent_context, parent = new_page(browser, PHONE)
    sign_in_by_sms(parent, base, phone, caplog)
    assert "吴二" in parent.content() and "周一" not in parent.content()
    assert fits_the_screen(parent)
    parent.locator("a[href*='/screening/consent/']").first.click()
    parent.locator("button[name=decision][value=consented]").click()
    parent.wait_for_load_state("networkidle")
    assert ConsentRecord.objects.get(target__student=wu).state == ConsentRecord.State.CONSENTED
    parent.goto(f"{base}/alerts/parent/")
    parent.locator("input[name=urgency][value=concern]").check()
    parent.fill("#id_summary", "孩子最近晚上睡不着，也不愿意上学。")
    parent.locator("form.card button[type=submit]").click()
    parent.wait_for_load_state("networkidle")
    parent.goto(f"{base}/family/")
    assert "已收到" in parent.content() or "received" in parent.content()
    assert fits_the_screen(parent)
    parent.screenshot(path=str(shots / "5-parent-family.png"), full_page=True)
    parent_context.close()
    assert alerts.Warning.objects.filter(student=wu).count() == 1

    # 6. 周一 transfers out of the region (the student-status system's change, as the roster records it): the
    # account's sign-in is refused, before any sweep has closed it.
    Student.objects.filter(pk=zhou.pk).update(status=Student.Status.TRANSFERRED_OUT)
    gone_context, gone = new_page(browser, PHONE)
    sign_in(gone, base, username, "Maple-Harbour-2026")
    assert "/accounts/login/" in gone.url and gone.locator(".errorlist").count() >= 1
    gone.goto(f"{base}/screening/mine/")
    assert "/accounts/login/" in gone.url
    gone.screenshot(path=str(shots / "6-transferred-refused.png"), full_page=True)
    gone_context.close()

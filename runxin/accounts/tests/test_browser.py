"""The paths a real person walks, in Chromium: a security administrator creates a colleague's account, the
colleague signs in with the temporary password and must choose their own; an auditor searches the trail."""

import os
import re

import pytest

from runxin.access.read_audit import record_read

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_new_staff_account_from_creation_to_first_sign_in(world, page_for, live_server, browser):
    page = page_for(world.secadmin)
    page.goto(f"{live_server.url}/accounts/staff/")
    page.click("main a[href='/accounts/staff/new/']")
    page.fill("#id_username", "wang_laoshi")
    page.fill("#id_display_name", "王老师")
    page.select_option("#id_role", "head_teacher")
    page.fill("#unit-q", "西区实验学校")
    # The unit list follows the role and the search (htmx).
    page.wait_for_selector(f"#unit-select option[value='{world.other_class.pk}']", state="attached")
    page.select_option("#unit-select", str(world.other_class.pk))
    page.click("main form button[type=submit]")
    password = page.inner_text("#temporary-password").strip()
    assert re.fullmatch(r"\w{4}-\w{4}-\w{4}", password)

    context = browser.new_context(locale="zh-CN")
    newcomer = context.new_page()
    newcomer.goto(f"{live_server.url}/accounts/login/")
    newcomer.fill("#id_username", "wang_laoshi")
    newcomer.fill("#id_password", password)
    newcomer.click("button[type=submit]")
    newcomer.wait_for_url(re.compile(r".*/accounts/password/.*"))
    newcomer.fill("#id_old_password", password)
    newcomer.fill("#id_new_password1", "Maple-Harbour-2026")
    newcomer.fill("#id_new_password2", "Maple-Harbour-2026")
    newcomer.click("main button[type=submit]")  # not the header's sign-out button
    newcomer.wait_for_url(f"{live_server.url}/")
    assert "Head teacher" in newcomer.content() or "班主任" in newcomer.content()
    context.close()


def test_auditor_narrows_the_trail_to_break_glass(world, page_for, live_server):
    from runxin.access import break_glass

    break_glass.break_glass_request(user=world.other_psych, student_number=world.a1.student_number,
                                    reason="Crisis at the school gate, parents unreachable")
    record_read(user=world.other_psych, student=world.a1, record_type="student.profile", record_id=world.a1.pk)
    record_read(user=world.psych, student=world.b1, record_type="student.profile", record_id=world.b1.pk)
    page = page_for(world.auditor)
    page.goto(f"{live_server.url}/audit/")
    assert page.locator("#audit-results tbody tr").count() > 3
    page.select_option("#id_action", "break_glass")  # htmx swaps the results and pushes the URL
    page.wait_for_url(re.compile(r".*action=break_glass.*"))
    rows = page.locator("#audit-results tbody tr")
    assert rows.count() == 2
    assert page.locator("#audit-results [data-break-glass='1'] .tag.red").count() == 2
    assert "Crisis at the school gate" in page.inner_text("#audit-results")
    assert "张一" not in page.content()


def test_error_page_on_a_phone_is_styled_and_leads_home(world, page_for, live_server):
    page = page_for(world.psych, viewport={"width": 390, "height": 844})
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    page.screenshot(path="test-artifacts/error-404-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("main .error-links a.btn:not(.secondary)")
    page.wait_for_url(f"{live_server.url}/")


def test_the_staff_list_fits_a_phone_with_long_role_names(world, page_for, live_server):
    # A role tag names the role, the school and the class; in one unbreakable line it pushed the page sideways
    # (425 px on a 390 px phone in the demo city).
    from runxin.org.models import OrgUnit
    from runxin.testing.browser import fits_the_screen

    OrgUnit.objects.filter(pk=world.school.pk).update(name="丹溪县东岭镇九年一贯制实验学校初中部（东校区）")
    OrgUnit.objects.filter(pk=world.class1.pk).update(name="七年级(1)班（创新实验班）")
    page = page_for(world.secadmin, viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/staff/")
    page.wait_for_selector("table.data")
    page.screenshot(path="test-artifacts/staff-list-390.png", full_page=True)
    assert fits_the_screen(page)

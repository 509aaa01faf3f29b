"""The path people walk: a head teacher reports a concern, the psychology teacher assesses it red, nobody
acknowledges the red, and after the timer the district centre finds it escalated in its queue and inbox."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from runxin.alerts import escalation
from runxin.alerts.models import Warning, WarningLevel
from runxin.testing.world import build_world

# Playwright's sync API runs an event loop in this thread; the database calls made here are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_head_teacher_report_assessed_red_escalates_to_the_district(page_for, live_server):
    world = build_world()
    red = WarningLevel.objects.get(code="red")

    # 1. The head teacher reports a concern about a student of the class.
    page = page_for(world.head)
    page.goto(f"{live_server.url}/alerts/report/")
    page.select_option("#pick-student", value=str(world.a1.pk))
    page.select_option("#id_source", value="observation")
    page.locator("input[name=urgency][value=today]").check()
    page.fill("#id_summary", "最近一周上课哭泣，把自己的东西送给同学。")
    page.click("button[type=submit]:has-text('Send the report'), form.card button[type=submit]")
    page.wait_for_url("**/alerts/*/")
    assert page.locator("#warning-state").get_attribute("data-state") == "raised"
    warning = Warning.objects.get()

    # 2. The psychology teacher acknowledges it and assesses it red.
    page = page_for(world.psych)
    page.goto(f"{live_server.url}/alerts/")
    page.click(f"a[href='/alerts/{warning.pk}/'] >> nth=0")
    page.locator("#acknowledge-now").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("form[action$='/act/assess/']")
    form.locator("select[name=level]").select_option(value=str(red.pk))
    form.locator("textarea[name=reason]").fill("有具体计划和日期。")
    form.locator("textarea[name=clinical_note]").fill("PHQ-A 第9题阳性，会谈确认。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "红色预警" in page.locator("h1").inner_text()
    page.screenshot(path="test-artifacts/alerts-warning-assessed.png", full_page=True)
    warning.refresh_from_db()
    assert (warning.level.code, warning.state, warning.ack_pending, warning.tier) == ("red", "assessed", True, 2)

    # 3. Nobody acknowledges the red; the timer runs (an injected clock, 31 minutes on).
    assert escalation.escalation_sweep(now=timezone.now() + dt.timedelta(minutes=31)) == 1

    # 4. The district centre sees it escalated: in its queue, on the warning's page and in its inbox.
    page = page_for(world.district_centre)
    page.goto(f"{live_server.url}/alerts/?mine=1")
    row = page.locator("#queue-results tbody tr", has_text="张一")
    assert row.count() == 1
    row_text = row.inner_text()
    assert "已升级" in row_text  # the escalated tag, in the Chinese the browser asks for
    page.click(f"#queue-results a[href='/alerts/{warning.pk}/'] >> nth=0")
    assert page.locator("#history tr[data-kind=escalated]").count() == 1
    assert page.locator("#acknowledge-now").count() == 1  # it is theirs to acknowledge now
    page.goto(f"{live_server.url}/inbox/")
    assert page.locator("table.data tbody tr", has_text=f"#{warning.pk}").count() >= 1
    page.screenshot(path="test-artifacts/alerts-district-inbox.png", full_page=True)

    # The head teacher still sees the level and state, not the clinical note.
    page = page_for(world.head)
    page.goto(f"{live_server.url}/alerts/{warning.pk}/")
    body = page.content()
    assert "红色预警" in body and "PHQ-A 第9题阳性" not in body

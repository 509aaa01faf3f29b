"""The crisis path walked in the browser (issue 8), at desktop and phone width:
1. a student answers PHQ-A item 9 positively → the psychology teacher sees the red first on her home page and
   acknowledges it in two clicks;
2. a parent writes "孩子昨晚说不想活了" → red at once, and the parent sees advice written for parents;
3. a school hands a complex case up to the district centre, which accepts it;
4. a peer report's author is invisible to the head teacher.
Screenshots of each page go to test-artifacts/."""

import os
import uuid
from pathlib import Path

import pytest

from runxin.alerts import services
from runxin.alerts.models import Warning
from runxin.testing.world import build_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]
ARTIFACTS = Path("test-artifacts")
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_item_9_reaches_the_psychology_teacher_first_and_two_clicks_acknowledge(page_for, live_server):
    from runxin.screening import services as screening
    from runxin.screening.tests.helpers import notify_guardians, open_campaign, phqa_answers, target_of
    from runxin.testing.factories import StudentFactory

    world = build_world()
    # Older cases already in her list, some overdue.
    for i in range(6):
        student = StudentFactory(school_class=world.class2)
        services.warning_raise_from_screening(student=student, result_id=f"old{i}", suggested_level="moderate",
                                              reasons=[], instrument_code="phq-a")
    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    screening.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                answers={"phqa": phqa_answers(0, q9=2)})
    warning = Warning.objects.get(student=world.a1)
    assert warning.level.code == "red"

    for name, viewport in (("desktop", None), ("phone", PHONE)):
        page = page_for(world.psych, viewport=viewport)
        page.goto(f"{live_server.url}/")
        first = page.locator("#act-now li.work-item").first
        assert first.get_attribute("data-warning") == str(warning.pk)
        assert "张一" in first.inner_text()
        shot(page, f"crisis-home-psych-{name}")
        if name == "phone":
            assert no_sideways_scroll(page)
    # Two clicks: open the warning, acknowledge it.
    page.goto(f"{live_server.url}/")
    page.locator("#act-now li.work-item").first.locator("a.work-student").click()   # 1
    page.wait_for_load_state("networkidle")
    assert page.locator("#who-acts").is_visible()
    shot(page, "crisis-warning-who-acts-phone")
    page.locator("#acknowledge-now").click()                                          # 2
    page.wait_for_load_state("networkidle")
    warning.refresh_from_db()
    assert warning.state == "acknowledged" and warning.acknowledged_at is not None
    assert page.locator("#warning-state").get_attribute("data-state") == "acknowledged"


def test_a_parent_reports_not_wanting_to_live_and_gets_advice_for_parents(page_for, live_server):
    world = build_world()
    page = page_for(world.parent, viewport=PHONE)
    page.goto(f"{live_server.url}/alerts/parent/")
    shot(page, "crisis-parent-form-phone")
    page.locator("input[name=urgency][value=concern]").check()
    page.fill("#id_summary", "孩子昨晚说不想活了")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#what-now").is_visible()
    assert page.locator("#what-now a[href='tel:120']").count() == 1
    shot(page, "crisis-parent-advice-phone")
    assert no_sideways_scroll(page)
    warning = Warning.objects.get()
    assert warning.level.code == "red" and warning.source == "parent"


def test_the_school_hands_a_case_up_and_the_district_accepts(page_for, live_server):
    world = build_world()
    warning = services.warning_raise_from_screening(student=world.a1, result_id="r1", suggested_level="critical",
                                                    reasons=["item 9"], instrument_code="phq-a")
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    services.warning_assess(warning=warning, actor=world.psych, confirm=True)

    page = page_for(world.leader)
    page.goto(f"{live_server.url}/alerts/{warning.pk}/")
    form = page.locator("form[action$='/act/hand_up/']")
    form.locator("textarea[name=reason]").fill("家庭变故，需要区中心介入。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#hand-up-state").is_visible()
    shot(page, "crisis-handed-up-desktop")

    page = page_for(world.district_centre)
    page.goto(f"{live_server.url}/alerts/")
    item = page.locator("#act-now li.work-item", has_text="张一")
    assert item.count() == 1
    shot(page, "crisis-centre-queue-desktop")
    item.locator("a.work-student").click()
    page.wait_for_load_state("networkidle")
    page.locator("#accept-hand-up").click()
    page.wait_for_load_state("networkidle")
    warning.refresh_from_db()
    assert warning.hand_up_accepted_by_id == world.district_centre.pk
    shot(page, "crisis-centre-accepted-desktop")

    page = page_for(world.district_centre, viewport=PHONE)
    page.goto(f"{live_server.url}/alerts/")
    shot(page, "crisis-centre-queue-phone")
    assert no_sideways_scroll(page)


def test_a_peer_reporter_is_invisible_to_the_head_teacher(page_for, live_server):
    world = build_world()
    world.committee.display_name = "心理委员李二"
    world.committee.save()
    page = page_for(world.committee, viewport=PHONE)
    page.goto(f"{live_server.url}/alerts/peer/")
    page.fill("#id_classmate_name", "张一")
    page.locator("input[name=urgency][value=today]").check()
    page.fill("#id_summary", "她这几天一直哭，不吃午饭。")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    shot(page, "crisis-peer-thanks-phone")
    warning = Warning.objects.get()

    page = page_for(world.head)
    page.goto(f"{live_server.url}/alerts/{warning.pk}/")
    assert "心理委员李二" not in page.content()
    shot(page, "crisis-peer-as-head-teacher-desktop")
    page = page_for(world.psych)
    page.goto(f"{live_server.url}/alerts/{warning.pk}/")
    assert "心理委员李二" in page.content()

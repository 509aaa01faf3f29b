"""The plan in a browser: the psychology teacher adds an action under a step and the plan page fits a phone; the
peer watcher's task page fits a phone and shows only the task. Screenshots in test-artifacts/."""

import os

import pytest
from django.urls import reverse

from runxin.cases import plans
from runxin.testing.browser import fits_the_screen
from runxin.testing.world import build_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 375, "height": 780}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_plan_page_and_the_task_page_at_desktop_and_phone_width(page_for, live_server):
    world = build_world()
    plan = plans.plan_open(actor=world.psych, student=world.a2, lead=world.psych, mentor=world.head,
                           goals="每天按时到校；每周两次心理辅导", assessment="建档评估：情绪低落两周")
    plans.action_add(actor=world.psych, plan=plan, step="home_school", description="与家长电话沟通，约定每周联系",
                     responsible=world.head)
    plans.review_add(actor=world.psych, plan=plan, progress="睡眠好转")
    plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.a1,
                            task="午饭时和李二坐在一起；如果她看起来很难过，马上告诉王老师。")
    url = f"{live_server.url}{reverse('cases:plan', kwargs={'plan_id': plan.pk})}"

    page = page_for(world.psych)
    page.goto(url)
    page.locator("#step-intervene summary").click()
    page.fill("#id_action-description-intervene", "每周两次个体辅导")
    page.select_option("#id_action-responsible-intervene", str(world.psych.pk))
    page.locator("#step-intervene button[type=submit]").click()
    page.wait_for_url(f"**/plans/{plan.pk}/#step-intervene")
    assert "每周两次个体辅导" in page.locator("#step-intervene").inner_text()
    page.screenshot(path="test-artifacts/plan-desktop.png", full_page=True)

    phone = page_for(world.psych, viewport=PHONE)
    phone.goto(url)
    assert fits_the_screen(phone)
    phone.screenshot(path="test-artifacts/plan-phone.png", full_page=True)

    student = page_for(world.student_user, viewport=PHONE)
    student.goto(f"{live_server.url}{reverse('cases:my_tasks')}")
    text = student.locator("main").inner_text()
    assert "午饭时和李二坐在一起" in text and "每天按时到校" not in text and "情绪低落" not in text
    assert fits_the_screen(student)
    student.screenshot(path="test-artifacts/my-tasks-phone.png", full_page=True)

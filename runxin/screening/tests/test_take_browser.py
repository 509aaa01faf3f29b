"""A student on a phone (390 × 844): signs in with the printed code, answers half, reloads, resumes where
they stopped, hands in, and sees the help page because the critical item was positive."""

import os
from pathlib import Path

import pytest

from runxin.screening.models import CampaignTarget, ResponseDraft, Result, ScreeningFlag, Submission

from .helpers import notify_guardians, open_campaign

# Playwright's sync API runs an event loop in this thread; Django would then refuse the test's own ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# serialized_rollback: the flush after a transactional test would otherwise wipe the rows that data
# migrations made (special-attention groups, shipped instruments) for the tests that follow.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

ARTIFACTS = Path("test-artifacts")
PHONE = {"width": 390, "height": 844}


def answer(page, label: str | None = None) -> None:
    """Tap an answer (a pointer tap saves it and moves on) and wait for the next page.
    Without a label, the first answer is tapped."""
    before = page.url
    target = page.get_by_role("radio", name=label) if label else page.locator("label.option").first
    target.click()
    page.wait_for_function("url => window.location.href !== url", arg=before)
    page.wait_for_load_state("networkidle")


def test_phone_student_resumes_and_sees_help(world, browser, live_server):
    from runxin.screening import services

    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    targets = services.codes_for_class(user=world.psych, campaign=campaign, school_class=world.class1)
    code = next(t.access_code for t in targets if t.student == world.a1)
    ARTIFACTS.mkdir(exist_ok=True)

    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/screening/c/")
    page.fill("#code", f"{code[:4].lower()}-{code[4:]}")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/screening/take/1/")
    page.locator(".take .nav a.btn").first.click()  # begin
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/take/1/q1/")
    # Big touch targets: every answer block is at least 44 px high and nearly the screen's width.
    box = page.locator("label.option").first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    page.screenshot(path=str(ARTIFACTS / "screening-phone-question.png"), full_page=True)

    for _ in range(6):  # about half of PHQ-A
        answer(page, "好几天")
    assert page.url.endswith("/take/1/q7/")
    draft = ResponseDraft.objects.get(target__student=world.a1)
    assert draft.answers == {f"q{n}": "LA6569-3" for n in range(1, 7)}

    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/take/1/q7/")
    # Closing the tab and coming back through the questionnaire's entry resumes at the same question.
    page.goto(f"{live_server.url}/screening/take/")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/take/1/q7/")
    assert "7 / 13" in page.content()

    answer(page, "好几天")  # q7
    answer(page, "好几天")  # q8
    answer(page, "好几天")  # q9: thoughts of self-harm on several days — the critical item
    for _ in range(4):  # past year, difficulty, past month, lifetime
        answer(page)
    assert page.url.endswith("/take/2/")
    page.locator(".take .nav a.btn").first.click()  # begin the second part
    page.wait_for_load_state("networkidle")
    for _ in range(8):
        answer(page)
    assert page.url.endswith("/take/review/")
    page.screenshot(path=str(ARTIFACTS / "screening-phone-review.png"), full_page=True)
    page.locator("#submit-form button[type=submit]").dblclick()  # a double tap
    page.wait_for_url("**/take/done/")
    page.wait_for_load_state("networkidle")
    help_box = page.get_by_role("alert")
    assert "12356" in help_box.inner_text() and "12355" in help_box.inner_text()
    assert "精神卫生法" in page.content()
    page.screenshot(path=str(ARTIFACTS / "screening-phone-help.png"), full_page=True)

    assert Submission.objects.count() == 1 and Result.objects.count() == 2
    phqa = Result.objects.get(instrument_code="phqa")
    assert phqa.critical and phqa.risk_level == "critical"
    assert ScreeningFlag.objects.filter(result=phqa, level="critical").exists()
    assert CampaignTarget.objects.get(campaign=campaign, student=world.a1).finished_at is not None
    # The device forgot the answers once they were handed in.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('rx-')).length") == 0
    context.close()

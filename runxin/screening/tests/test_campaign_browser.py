"""The psychology teacher's campaign page in a browser: completion per class, a class's status list."""

import os
import uuid
from pathlib import Path

import pytest

from .helpers import gad7_answers, notify_guardians, open_campaign, phqa_answers, target_of

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


def test_psych_teacher_follows_completion_and_opens_a_class(world, page_for, live_server):
    from runxin.screening import services

    campaign = open_campaign(world)
    notify_guardians(world, campaign)
    services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                               answers={"phqa": phqa_answers(1), "gad7": gad7_answers(1)})
    page = page_for(world.psych)
    page.goto(f"{live_server.url}/screening/")
    page.locator(f"a[href='/screening/campaigns/{campaign.pk}/']").click()
    page.wait_for_load_state("networkidle")
    table = page.locator("#progress table")
    assert "七年级(1)班" in table.inner_text() and "七年级(2)班" in table.inner_text()
    assert page.locator("#progress").get_attribute("hx-trigger") == "every 10s"
    Path("test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path="test-artifacts/screening-campaign-detail.png", full_page=True)
    page.locator(f"a[href='/screening/campaigns/{campaign.pk}/classes/{world.class1.pk}/']").first.click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 2 and "张一" in page.content()
    page.screenshot(path="test-artifacts/screening-class-progress.png", full_page=True)

"""A parent walked in the browser at phone width: signs in with the phone and the code from the logging SMS
adapter's line, gives consent for a screening from the home page, reports a concern and sees it received."""

import os

import pytest

from runxin.screening.models import ConsentRecord
from runxin.testing.browser import fits_the_screen, sign_in_by_sms
from runxin.testing.world import build_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]
PHONE_SCREEN = {"width": 390, "height": 844}


def test_a_parent_signs_in_with_the_sms_code_consents_and_reports(browser, live_server, caplog):
    from django.core.cache import cache

    from runxin.screening.tests.helpers import open_campaign

    cache.clear()
    world = build_world()
    open_campaign(world)
    phone = world.parent.phone
    context = browser.new_context(viewport=PHONE_SCREEN, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_by_sms(page, live_server.url, phone, caplog)
        assert "张一" in page.content()
        assert fits_the_screen(page)
        # Consent from the home page, through the guardian's consent page.
        page.locator("a[href*='/screening/consent/']").first.click()
        page.locator("button[name=decision][value=consented]").click()
        page.wait_for_load_state("networkidle")
        assert ConsentRecord.objects.get(target__student=world.a1).state == ConsentRecord.State.CONSENTED
        # Report a concern, then see it received on the home page.
        page.goto(f"{live_server.url}/alerts/parent/")
        page.locator("input[name=urgency][value=concern]").check()
        page.fill("#id_summary", "孩子最近总是一个人待着。")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/family/")
        text = page.content()
        assert "已收到" in text or "received" in text
        assert "孩子最近总是一个人待着" not in text
    finally:
        context.close()

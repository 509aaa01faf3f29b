"""The screening report in Chromium: the school's psychology teacher opens the report from the campaign page, the
charts are drawn (ECharts, from json_script data, nothing refused by the Content-Security-Policy), the tables
stay readable as cards on a phone, and the city administrator's city report shows the hidden marks."""

import os
from pathlib import Path

import pytest

from runxin.analytics import campaign_figures as cf
from runxin.testing.browser import fits_the_screen

from .screening_report_city import build_city

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "test-shots"
PHONE = {"width": 390, "height": 844}


def test_the_report_from_the_campaign_page_with_charts_and_cards(page_for, live_server):
    w = build_city()
    for campaign in (w.last_year, w.spring, w.campaign):
        cf.compute_campaign_figures(campaign)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = page_for(w.psych)
    refused = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/screening/campaigns/{w.campaign.pk}/")
    page.locator(f"a[href=\"/analytics/screening/{w.campaign.pk}/{w.school.pk}/\"]").first.click()
    page.wait_for_url(f"**/analytics/screening/{w.campaign.pk}/{w.school.pk}/")
    page.wait_for_selector("[data-chart][data-drawn]")
    drawn = page.locator("[data-chart][data-drawn] canvas").count()
    assert drawn == page.locator("[data-chart]").count() > 3
    assert page.locator("#key-list").is_visible()
    assert not refused, refused
    page.screenshot(path=str(SHOTS / "screening_report_school_desktop.png"), full_page=False)
    page.locator("#key-list").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "screening_report_school_key_students.png"), full_page=False)

    phone = page_for(w.psych, viewport=PHONE)
    phone.goto(f"{live_server.url}/analytics/screening/{w.campaign.pk}/{w.school.pk}/")
    phone.wait_for_selector("[data-chart][data-drawn]")
    assert fits_the_screen(phone)  # a band named in a sentence wraps in its tag
    phone.locator("#levels-phqa-grade").scroll_into_view_if_needed()
    phone.screenshot(path=str(SHOTS / "screening_report_school_phone.png"), full_page=False)

    city = page_for(w.city_admin)
    city.goto(f"{live_server.url}/analytics/screening/{w.campaign.pk}/{w.city.pk}/")
    city.wait_for_selector("[data-chart][data-drawn]")
    assert city.locator("[data-hidden]").count() > 0
    city.locator("#levels-phqa-units").scroll_into_view_if_needed()
    city.screenshot(path=str(SHOTS / "screening_report_city_desktop.png"), full_page=False)

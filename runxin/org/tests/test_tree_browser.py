"""A district centre walks the region tree in a real browser: expanding a node loads its children (htmx)."""

import os

import pytest

# Playwright's sync API keeps an event loop running on the test thread for the whole session, so Django
# takes the test's own (synchronous) ORM calls, and the database flush after it, for async ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# serialized_rollback: the flush after a transactional test would otherwise wipe the rows that data
# migrations made (the built-in special-attention groups) for the tests that follow in this process.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


def test_expanding_a_district_and_opening_a_school(world, page_for, live_server):
    page = page_for(world.city_centre, locale="en-US")
    page.goto(f"{live_server.url}/org/")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=东区第一中学").count() == 0  # not loaded until the district is opened
    page.locator("summary", has_text="东区").click()
    page.locator("a", has_text="东区第一中学").wait_for()
    assert "3 students" in page.locator("li", has_text="东区第一中学").last.inner_text()
    page.locator("a", has_text="东区第一中学").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("东区第一中学")
    # Chart.js drew the grade/sex chart on the canvas.
    assert page.evaluate("() => !!Chart.getChart(document.getElementById('grade-sex-chart'))")

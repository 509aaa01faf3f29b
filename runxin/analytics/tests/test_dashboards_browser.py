"""The city → district → school drill-down in Chromium (issue 13, Tests): the city administrator's home page is the
city's dashboard with its charts drawn; a district's row opens the district, a school's row the school; each
chart reads as a table too; at a phone's width the page fits the screen. Screenshots in test-artifacts/.

The figures are UnitFigure rows (24 months for the trends), as the refresh would store them."""

import os

import pytest

from runxin.analytics import dashboards
from runxin.analytics.models import UnitFigure
from runxin.testing.browser import fits_the_screen
from runxin.testing.world import build_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _figures(w) -> None:
    """Two years of figures: more warnings around exams and after the holidays, screening in the semester's first
    months, one suppressed count in 西区 (a city administrator sees "*")."""
    months = dashboards.months_back(dashboards.running_month())
    sizes = {w.city: 3000, w.east: 1800, w.west: 1200, w.school: 900, w.other_school: 1200}
    rows = []
    for i, month in enumerate(months):
        season = 3 if month.month in (1, 4, 6, 11) else 1
        screening = 400 if month.month in (3, 9, 10) else 0
        for unit, students in sizes.items():
            share = students / 3000
            figures = {
                "students": students, "screening.covered": int(students * 0.92),
                "warnings.new": int((8 + season * 4 + i % 3) * share), "warnings.current": int((30 + i) * share),
                "warnings.overdue": int(5 * share), "followups.overdue": int(6 * share),
                "followups.due": int(20 * share), "followups.done": int(17 * share),
                "referrals.new": int(6 * share), "referrals.first_visit": int(5 * share),
                "referrals.days_to_first_visit": int(20 * share), "visits.home": int(90 * share),
                "visits.covered": int(students * min(0.95, 0.1 * (1 + i % 10))),
                "screening.results": int(screening * share), "screening.results.none": int(screening * share * 0.8),
                "screening.results.moderate": int(screening * share * 0.15),
                "screening.results.high": int(screening * share * 0.05),
            }
            figures["warnings.new.red"] = figures["warnings.new"] // 4
            figures["warnings.new.orange"] = figures["warnings.new"] // 3
            figures["warnings.new.yellow"] = figures["warnings.new"] - figures["warnings.new.red"] \
                - figures["warnings.new.orange"]
            figures["warnings.current.red"] = figures["warnings.current"] // 5
            figures["warnings.current.orange"] = figures["warnings.current"] // 3
            figures["warnings.current.yellow"] = figures["warnings.current"] - figures["warnings.current.red"] \
                - figures["warnings.current.orange"]
            for measure, value in figures.items():
                hidden = unit == w.west and measure == "warnings.overdue" and month == months[-1]
                rows.append(UnitFigure(unit=unit, month=month, measure=measure,
                                       value=3 if hidden else value, suppressed=hidden))
    UnitFigure.objects.bulk_create(rows)


def test_the_city_administrator_drills_down_from_the_city_to_a_school(page_for):
    w = build_world()
    _figures(w)
    errors = []
    page = page_for(w.city_admin, viewport=DESKTOP)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.reload()
    page.wait_for_load_state("networkidle")
    # The home page is the city's dashboard, its charts drawn by ECharts (a canvas each).
    assert page.locator("h1").inner_text() == w.city.name
    page.wait_for_selector("#trend-new-warnings .chart canvas")
    assert page.locator(".chart canvas").count() >= len(page.locator(".chart").all())
    assert page.locator(f'[data-fig="u:{w.west.pk}:warnings.overdue:{dashboards.running_month():%Y-%m}"]') \
        .inner_text() == "*"
    page.screenshot(path="test-artifacts/dashboard-city-desktop.png", full_page=True)
    # Each chart reads as a table.
    page.locator("#trend-new-warnings summary").click()
    assert page.locator("#trend-new-warnings table").is_visible()
    assert page.locator("#trend-new-warnings table tbody tr").count() == dashboards.TREND_MONTHS

    page.locator("#children a", has_text=w.east.name).click()
    page.wait_for_selector("#trend-new-warnings .chart canvas")
    assert page.locator("h1").inner_text() == w.east.name
    assert page.locator("nav.trail a", has_text=w.city.name).count() == 1
    page.locator("#children a", has_text=w.school.name).click()
    page.wait_for_selector("#trend-new-warnings .chart canvas")
    assert page.locator("h1").inner_text() == w.school.name
    assert page.locator("#children a", has_text="七年级").count() == 1
    page.screenshot(path="test-artifacts/dashboard-school-desktop.png", full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

    phone = page_for(w.city_admin, viewport=PHONE)
    phone.goto(page.url)
    phone.wait_for_selector("#trend-new-warnings .chart canvas")
    phone.screenshot(path="test-artifacts/dashboard-school-phone.png", full_page=True)
    assert fits_the_screen(phone)
    phone.goto(phone.url.split("/analytics/")[0] + "/")
    phone.wait_for_selector("#trend-new-warnings .chart canvas")
    assert fits_the_screen(phone)
    phone.screenshot(path="test-artifacts/dashboard-city-phone.png", full_page=True)

"""The district risk zoning page: who may open it (the city, a district's own place among the city's districts)
and who may not, the map and the table with their markup, the method on the page, small counts hidden outside
need-to-know, and the window chosen by month (a bad one is a 404, never a 500)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from runxin.analytics import zoning
from runxin.analytics.models import UnitFigure
from runxin.testing import factories as f

URL = reverse("analytics:zoning")


@pytest.fixture
def figures(world, settings):
    """东区 1,200 students with 50 new warnings this month (41.67 per 1,000) and no incident; 西区 1,000 students
    with 10 warnings and 2 incidents (stored hidden, the city's 2 with them); the city 2,200."""
    settings.RISK_ZONING_MIN_STUDENTS = 500
    last = zoning.latest_month()
    rows = []
    for unit, students, warnings, incidents, hidden in (
            (world.city, 2200, 60, 2, True), (world.east, 1200, 50, 0, False), (world.west, 1000, 10, 2, True)):
        rows += [UnitFigure(unit=unit, month=last, measure="students", value=students),
                 UnitFigure(unit=unit, month=last, measure="warnings.new", value=warnings),
                 UnitFigure(unit=unit, month=last, measure="incidents.new", value=incidents, suppressed=hidden)]
    UnitFigure.objects.bulk_create(rows)
    return last


def _cell(html: str, key: str) -> str:
    match = re.search(rf'<td[^>]*data-fig="{re.escape(key)}"[^>]*>([^<]*)</td>', html)
    assert match, key
    return match.group(0)


def _sum_key(unit, measure, last):
    return zoning.sum_key(unit.pk, measure, zoning.shift_month(last, -11), last)


def test_the_city_sees_every_district_zoned_with_the_method(client_for, world, figures, english):
    response = client_for(world.city_admin).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "District risk zoning" in html and world.city.name in html
    # The map: one tile per district, coloured by zone; 东区's warnings are 41.67 per 1,000, the city's 27.27.
    assert re.search(r'class="zone-tile zone-key"[^>]*>\s*<div class="zone-tile-name"><a href="/analytics/units/'
                     rf'{world.east.pk}/">东区</a>', html)
    assert 'class="zone-tile zone-key" data-zone="key"' in html  # 西区: incidents 2 per 1,000, the city's 0.91
    assert "Key warning area (重点警示区域)" in html
    # The method, with the thresholds.
    method = unescape(html[html.index('id="zoning-method"'):])
    assert "at least 150% of the city's rate" in method and "fewer than 500 students is not classified" in method
    # The table: exact counts that are shown, hidden ones as * for the city administrator (no need-to-know).
    assert 'data-value="50">50</td>' in _cell(html, _sum_key(world.east, "warnings.new", figures))
    west = _cell(html, _sum_key(world.west, "incidents.new", figures))
    assert 'data-hidden="1"' in west and "*" in west and 'data-value' not in west
    assert f'data-rate-of="{_sum_key(world.west, "incidents.new", figures)}">—<' in html
    assert 'id="suppression-legend"' in html


def test_the_city_centre_sees_exact_counts(client_for, world, figures):
    html = client_for(world.city_centre).get(URL).content.decode()
    west = _cell(html, _sum_key(world.west, "incidents.new", figures))
    assert 'data-value="2">2</td>' in west
    assert f'data-rate-of="{_sum_key(world.west, "incidents.new", figures)}">2.00<' in html


def test_a_district_sees_its_own_place_among_the_citys_districts(client_for, world, figures):
    html = client_for(world.district_centre).get(URL).content.decode()
    assert 'zone-tile zone-key own"' in html and html.count(" own\"") == 1
    # Its own district exactly, the other as everyone outside its care team sees it.
    assert "*" in _cell(html, _sum_key(world.west, "incidents.new", figures))
    assert 'data-value="0"' in _cell(html, _sum_key(world.east, "incidents.new", figures))


def test_the_supervisor_reads_it(client_for, world, figures):
    assert client_for(world.supervisor).get(URL).status_code == 200


@pytest.mark.parametrize("who", ["leader", "psych", "head", "hotline", "mentor", "sysadmin", "outsider"])
def test_others_are_refused(client_for, world, who):
    assert client_for(getattr(world, who)).get(URL).status_code == 403


def test_a_school_supervisor_is_refused_and_a_visitor_sent_to_sign_in(client, client_for, world):
    school_supervisor = f.UserFactory(username="school_supervisor")
    f.assign(school_supervisor, "supervisor", world.school)
    assert client_for(school_supervisor).get(URL).status_code == 403
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_posting_is_refused(client_for, world):
    assert client_for(world.city_admin).post(URL).status_code == 405


def test_too_few_students_are_not_classified(client_for, world, figures, settings, english):
    settings.RISK_ZONING_MIN_STUDENTS = 1100
    html = client_for(world.city_admin).get(URL).content.decode()
    assert 'class="zone-tile zone-unclassified" data-zone="unclassified"' in html  # 西区's 1,000
    assert "Too few students to classify" in html


def test_the_window_ends_in_the_month_chosen(client_for, world, figures, english):
    earlier = zoning.shift_month(figures, -13)
    response = client_for(world.city_admin).get(URL, {"month": f"{earlier:%Y-%m}"})
    assert response.status_code == 200
    html = response.content.decode()
    # Before these figures: no students counted, so no district is classified.
    assert 'data-zone="unclassified"' in html and 'data-zone="key"' not in html
    assert f'value="{earlier:%Y-%m}" selected' in html


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-01", "abcd-ef", "2026-1", "1999-12", "9999-01",
                                   "2026-01-01", "２０２６-０１"])
def test_a_bad_month_is_not_found(client_for, world, month):
    assert client_for(world.city_admin).get(URL, {"month": month}).status_code == 404


def test_a_month_after_the_running_one_is_not_found(client_for, world):
    after = zoning.shift_month(zoning.latest_month(), 1)
    assert client_for(world.city_admin).get(URL, {"month": f"{after:%Y-%m}"}).status_code == 404


def test_the_queries_do_not_grow_with_the_districts(client_for, world, figures):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.city_admin)
    client.get(URL)  # the session and grants warmed up
    with CaptureQueriesContext(connection) as two:
        client.get(URL)
    for n in range(4):
        f.district(world.city, f"新区{n}", f"D-N{n}")
    with CaptureQueriesContext(connection) as six:
        client.get(URL)
    assert len(six) == len(two)

"""The dashboards (issue 13, point 1): each role opens its own level and nothing outside it, the figures shown are
the stored ones (or hidden, for a viewer without need-to-know, exactly as the refresh marked them), service
groups' sums are protected on the page, and a city-level user's home page is the city's dashboard.

The figures are UnitFigure rows written here (the table's shape is the contract's); the refresh that computes
them from the records is tested with facts.py."""

import json
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from runxin.analytics import dashboards, facts
from runxin.analytics.models import UnitFigure
from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

MONTH = dashboards.running_month()


def put(unit, measure: str, value: int, *, month: date = MONTH, suppressed: bool = False) -> None:
    UnitFigure.objects.update_or_create(unit=unit, month=month, measure=measure,
                                        defaults={"value": value, "suppressed": suppressed})


def key(unit, measure: str, month: date = MONTH, prefix: str = "u") -> str:
    return f"{prefix}:{unit.pk}:{measure}:{month:%Y-%m}"


class Figures(HTMLParser):
    """Every element of a page carrying data-fig (the contract's markup): key → (value or None, hidden or None, text),
    and every rate: key of its figure → texts."""

    def __init__(self, html: str):
        super().__init__()
        self.figures, self.rates, self._open = {}, {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-fig" in attrs:
            self._open = ("fig", attrs["data-fig"], attrs.get("data-value"), attrs.get("data-hidden"))
        elif "data-rate-of" in attrs:
            self._open = ("rate", attrs["data-rate-of"])

    def handle_data(self, data):
        if self._open and self._open[0] == "fig":
            _kind, name, value, hidden = self._open
            self.figures.setdefault(name, []).append((int(value) if value is not None else None, hidden, data.strip()))
        elif self._open:
            self.rates.setdefault(self._open[1], []).append(data.strip())
        self._open = None

    def handle_endtag(self, tag):
        self._open = None


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def city(world):
    """The world's units with figures for the running month: students everywhere, a few warnings."""
    w = world
    w.grade7 = OrgUnit.objects.get(pk=w.class1.parent_id)
    for unit, students in [(w.city, 3000), (w.east, 1800), (w.west, 1200), (w.school, 900), (w.other_school, 1200),
                           (w.grade7, 300), (w.class1, 40), (w.class2, 45)]:
        put(unit, "students", students)
    return w


# ------------------------------------------------------------------------------------------------ access

def test_each_role_opens_the_dashboard_of_its_own_level(city, client_for):
    w = city
    grade_leader = f.UserFactory(username="grade7_leader")
    f.assign(grade_leader, "grade_leader", w.grade7)
    for user, unit in [(w.city_admin, w.city), (w.supervisor, w.city), (w.district_centre, w.east),
                       (w.leader, w.school), (w.psych, w.school), (grade_leader, w.grade7), (w.head, w.class1)]:
        html = page(client_for(user), reverse("analytics:dashboard"))
        assert f"<h1>{unit.name}</h1>" in html, (user.username, unit.name)
        assert key(unit, "students") in Figures(html).figures


def test_the_drill_down_links_each_level_to_the_next(city, client_for):
    w = city
    client = client_for(w.city_admin)
    html = page(client, reverse("analytics:dashboard"))
    for district in (w.east, w.west):
        assert reverse("analytics:dashboard_unit", args=[district.pk]) in html
    html = page(client, reverse("analytics:dashboard_unit", args=[w.east.pk]))
    assert reverse("analytics:dashboard_unit", args=[w.school.pk]) in html
    assert reverse("analytics:dashboard_unit", args=[w.other_school.pk]) not in html  # 西区's school
    html = page(client, reverse("analytics:dashboard_unit", args=[w.school.pk]))
    assert reverse("analytics:dashboard_unit", args=[w.grade7.pk]) in html
    html = page(client, reverse("analytics:dashboard_unit", args=[w.grade7.pk]))
    for school_class in (w.class1, w.class2):
        assert reverse("analytics:dashboard_unit", args=[school_class.pk]) in html
    # Back up the tree: the units above, as far as the viewer reaches.
    html = page(client, reverse("analytics:dashboard_unit", args=[w.class1.pk]))
    for unit in (w.city, w.east, w.school, w.grade7):
        assert reverse("analytics:dashboard_unit", args=[unit.pk]) in html
    html = page(client_for(w.head), reverse("analytics:dashboard_unit", args=[w.class1.pk]))
    assert reverse("analytics:dashboard_unit", args=[w.school.pk]) not in html


@pytest.mark.parametrize("who, elsewhere", [
    ("district_centre", ["west", "other_school", "other_class"]),
    ("leader", ["other_school", "other_class", "east", "city"]),
    ("psych", ["other_school", "east"]),
    ("head", ["class2", "school", "other_class"]),
])
def test_nobody_opens_a_unit_outside_their_reach(city, client_for, who, elsewhere):
    client = client_for(getattr(city, who))
    for name in elsewhere:
        response = client.get(reverse("analytics:dashboard_unit", args=[getattr(city, name).pk]))
        assert response.status_code == 404, (who, name)


@pytest.mark.parametrize("who", ["mentor", "hotline", "sysadmin", "secadmin", "auditor", "outsider", "student_user",
                                 "parent"])
def test_roles_without_the_dashboard_are_refused(city, client_for, who):
    client = client_for(getattr(city, who))
    for url in (reverse("analytics:dashboard"), reverse("analytics:dashboard_unit", args=[city.class1.pk])):
        assert client.get(url).status_code == 403, (who, url)


def test_a_unit_that_is_no_org_level_has_no_dashboard(city, client_for):
    hospital = org_services.unit_create(kind=OrgUnit.Kind.HOSPITAL, name="市第一医院", parent=city.city)
    response = client_for(city.city_admin).get(reverse("analytics:dashboard_unit", args=[hospital.pk]))
    assert response.status_code == 404


def test_a_service_group_opens_for_its_district_and_the_city_only(city, client_for):
    w = city
    group = org_services.service_group_create(district=w.east, name="东区一片")
    west_centre = f.UserFactory(username="west_centre")
    f.assign(west_centre, "centre_staff", w.west)
    url = reverse("analytics:dashboard_group", args=[group.pk])
    for user in (w.city_admin, w.district_centre, w.supervisor):
        assert client_for(user).get(url).status_code == 200
    for user in (west_centre, w.leader, w.head):
        assert client_for(user).get(url).status_code == 404
    assert client_for(w.mentor).get(url).status_code == 403
    assert client_for(w.city_admin).get(reverse("analytics:dashboard_group", args=[group.pk + 1000])).status_code == 404


def test_the_dashboards_answer_get_only(city, client_for):
    assert client_for(city.city_admin).post(reverse("analytics:dashboard")).status_code == 405


# ------------------------------------------------------------------------------------------------ figures

def test_the_figures_shown_are_the_stored_ones_with_their_rates(city, client_for):
    w = city
    put(w.east, "warnings.current", 37)
    put(w.east, "warnings.new", 12)
    put(w.east, "followups.overdue", 6)
    put(w.east, "screening.covered", 1620)
    put(w.east, "referrals.first_visit", 4)
    put(w.east, "referrals.days_to_first_visit", 26)
    put(w.school, "warnings.current", 30)
    put(w.east, "warnings.new", 9, month=date(MONTH.year - 1, MONTH.month, 1))  # a year ago: in the trend
    html = page(client_for(w.district_centre), reverse("analytics:dashboard"))
    figures = Figures(html)
    assert figures.figures[key(w.east, "warnings.current")][0][:2] == (37, None)
    assert figures.figures[key(w.east, "warnings.current")][0][2] == "37"
    assert "20.6" in figures.rates[key(w.east, "warnings.current")]  # 37 × 1000 / 1800
    assert "90.0%" in figures.rates[key(w.east, "screening.covered")]  # 1620 of 1800 screened
    assert "6.5" in figures.rates[key(w.east, "referrals.days_to_first_visit")]  # 26 days over 4 first visits
    assert figures.figures[key(w.school, "warnings.current")][0][:2] == (30, None)  # the schools' table
    assert "33.3" in figures.rates[key(w.school, "warnings.current")]  # 30 × 1000 / 900
    last_year = date(MONTH.year - 1, MONTH.month, 1)
    assert figures.figures[key(w.east, "warnings.new", last_year)][0][:2] == (9, None)  # the trend's table
    # The chart draws the same figures (24 months, the oldest first).
    spec = json.loads(re.search(r'<script id="chart-new-warnings" type="application/json">(.*?)</script>', html,
                                re.S).group(1))
    assert len(spec["categories"]) == dashboards.TREND_MONTHS and spec["categories"][-1] == f"{MONTH:%Y-%m}"
    assert spec["markers"] and {m["kind"] for m in spec["markers"]} == {"semester", "exam", "holiday", "graduation"}


def test_what_to_act_on_names_the_overdue_and_the_place_to_act(city, client_for):
    w = city
    put(w.class1, "warnings.overdue", 2)
    put(w.class1, "followups.overdue", 3)
    put(w.class1, "visits.covered", 31)
    put(w.class1, "visits.key_students", 4)
    put(w.class1, "visits.key_covered", 1)
    html = page(client_for(w.head), reverse("analytics:dashboard"))
    act = html[html.index('id="act-title"'):html.index('class="figures"')]
    assert reverse("alerts:queue") + "?overdue=1" in act
    assert reverse("alerts:follow_ups") + "?show=overdue" in act
    assert reverse("visits:class", args=[w.class1.pk]) in act
    shown = Figures(act).figures
    assert shown[f"d:{w.class1.pk}:visits.covered.missing:{MONTH:%Y-%m}"][0][:2] == (9, None)  # 40 − 31
    assert shown[f"d:{w.class1.pk}:visits.key_covered.missing:{MONTH:%Y-%m}"][0][:2] == (3, None)


def test_a_district_is_told_its_schools_with_the_highest_rates(city, client_for):
    w = city
    school2 = f.school(w.east, "东区第二中学", "S-E2")
    put(school2, "students", 800)
    put(school2, "warnings.current", 40)
    put(w.school, "warnings.current", 9)
    html = page(client_for(w.district_centre), reverse("analytics:dashboard"))
    act = html[html.index('id="act-title"'):html.index('class="figures"')]
    assert act.index("东区第二中学") < act.index("东区第一中学")  # 50.0 before 10.0 per 1,000
    assert "50.0" in act and "10.0" in act
    assert reverse("analytics:zoning") in act  # where 东区 stands among the city's districts
    assert reverse("alerts:overview", args=[w.east.pk]) in act
    # A hidden figure takes no place in a ranking (its place would tell something about it), and one unit left
    # makes no ranking.
    school3 = f.school(w.east, "东区第三中学", "S-E3")
    put(school3, "students", 100)
    put(school3, "warnings.current", 3, suppressed=True)
    html = page(client_for(w.city_admin), reverse("analytics:dashboard_unit", args=[w.east.pk]))
    act = html[html.index('id="act-title"'):html.index('class="figures"')]
    ranked = Figures(act).rates
    assert key(school2, "warnings.current") in ranked and key(school3, "warnings.current") not in ranked
    put(w.school, "warnings.current", 2, suppressed=True)
    html = page(client_for(w.city_admin), reverse("analytics:dashboard_unit", args=[w.east.pk]))
    act = html[html.index('id="act-title"'):html.index('class="figures"')]
    assert not [k for k in Figures(act).rates if k.endswith(f"warnings.current:{MONTH:%Y-%m}")]


# ------------------------------------------------------------------------------------------- small counts

def test_suppressed_figures_are_hidden_from_a_viewer_without_need_to_know(city, client_for):
    w = city
    put(w.east, "warnings.current", 3, suppressed=True)  # primary: 1–4
    put(w.west, "warnings.current", 12, suppressed=True)  # complementary
    put(w.city, "warnings.current", 15)
    put(w.east, "warnings.current", 3, month=date(MONTH.year - 1, MONTH.month, 1), suppressed=True)
    html = page(client_for(w.city_admin), reverse("analytics:dashboard"))
    figures = Figures(html)
    assert figures.figures[key(w.east, "warnings.current")] == [(None, "1", "*")]
    assert figures.figures[key(w.west, "warnings.current")] == [(None, "1", "*")]
    assert figures.figures[key(w.city, "warnings.current")][0][:2] == (15, None)
    assert set(figures.rates[key(w.east, "warnings.current")]) == {"—"}  # a rate would give the figure back
    assert 'id="suppression-legend"' in html
    assert 'data-value="3"' not in html and 'data-value="12"' not in html
    # Drilled down, the district's own page hides its headline the same way (no subtraction across pages).
    html = page(client_for(w.city_admin), reverse("analytics:dashboard_unit", args=[w.east.pk]))
    figures = Figures(html)
    assert {(v, h) for v, h, _t in figures.figures[key(w.east, "warnings.current")]} == {(None, "1")}
    chart = json.loads(re.search(r'<script id="chart-current-warnings" type="application/json">(.*?)</script>',
                                 html, re.S).group(1))
    assert chart["series"][0]["data"][-1] is None and chart["series"][0]["data"][-13] is None  # a gap, not a 3


def test_a_viewer_with_need_to_know_sees_the_exact_figures(city, client_for):
    w = city
    put(w.east, "warnings.current", 3, suppressed=True)
    put(w.class1, "warnings.current", 2, suppressed=True)
    html = page(client_for(w.district_centre), reverse("analytics:dashboard"))
    assert Figures(html).figures[key(w.east, "warnings.current")][0] == (3, None, "3")
    assert 'id="suppression-legend"' not in html
    html = page(client_for(w.head), reverse("analytics:dashboard"))
    assert Figures(html).figures[key(w.class1, "warnings.current")][0] == (2, None, "2")
    # The supervisor reads the same class without need-to-know.
    html = page(client_for(w.supervisor), reverse("analytics:dashboard_unit", args=[w.class1.pk]))
    assert Figures(html).figures[key(w.class1, "warnings.current")][0] == (None, "1", "*")


def test_service_group_sums_are_protected_on_the_page(city, client_for):
    """东区 has two groups: 一片 (东区第一中学 + 第二中学) and 二片 (第三中学). A school's hidden figure makes its
    group's sum hidden, and then the other group's too (the district total minus one group gives the other)."""
    w = city
    school2 = f.school(w.east, "东区第二中学", "S-E2")
    school3 = f.school(w.east, "东区第三中学", "S-E3")
    one = org_services.service_group_create(district=w.east, name="东区一片")
    two = org_services.service_group_create(district=w.east, name="东区二片")
    from runxin.org.models import ServiceGroupSchool

    ServiceGroupSchool.objects.create(group=one, school=w.school)
    ServiceGroupSchool.objects.create(group=one, school=school2)
    ServiceGroupSchool.objects.create(group=two, school=school3)
    for unit, students, new, hidden in [(w.school, 900, 3, True), (school2, 700, 20, False),
                                        (school3, 500, 8, True)]:
        put(unit, "students", students)
        put(unit, "warnings.new", new, suppressed=hidden)
        put(unit, "warnings.new.red", new, suppressed=hidden)
    put(w.east, "warnings.new", 31)
    put(w.east, "warnings.new.red", 31)
    one_key, two_key = key(one, "warnings.new", prefix="g"), key(two, "warnings.new", prefix="g")

    html = page(client_for(w.city_admin), reverse("analytics:dashboard_unit", args=[w.east.pk]))
    figures = Figures(html).figures
    assert figures[one_key] == [(None, "1", "*")]  # 23 = 3 + 20 would give 东区第一中学's 3 back
    assert figures[two_key] == [(None, "1", "*")]  # 8 = 31 − 23
    assert figures[key(one, "students", prefix="g")][0][:2] == (1600, None)  # students are never hidden
    # The group's own page hides the same sums.
    html = page(client_for(w.city_admin), reverse("analytics:dashboard_group", args=[one.pk]))
    assert {(v, h) for v, h, _t in Figures(html).figures[one_key]} == {(None, "1")}
    # The district centre (need-to-know) sees the sums.
    html = page(client_for(w.district_centre), reverse("analytics:dashboard_group", args=[one.pk]))
    assert Figures(html).figures[one_key][0][:2] == (23, None)


def test_group_sums_with_nothing_hidden_are_shown(city, client_for):
    w = city
    group = org_services.service_group_create(district=w.east, name="东区一片")
    from runxin.org.models import ServiceGroupSchool

    ServiceGroupSchool.objects.create(group=group, school=w.school)
    put(w.school, "warnings.current", 25)
    put(w.east, "warnings.current", 25)
    html = page(client_for(w.city_admin), reverse("analytics:dashboard_group", args=[group.pk]))
    assert Figures(html).figures[key(group, "warnings.current", prefix="g")][0][:2] == (25, None)


# --------------------------------------------------------------------------------------------- home pages

def test_the_city_home_page_is_the_dashboard(city, client_for, english):
    w = city
    put(w.city, "warnings.current", 40)
    for user in (w.city_admin, w.city_centre):
        html = page(client_for(user), reverse("front:home"))
        assert f"<h1>{w.city.name}</h1>" in html
        assert Figures(html).figures[key(w.city, "warnings.current")][0][:2] == (40, None)
        assert 'id="trend-new-warnings"' in html
    # The city centre handles warnings: its home page keeps the cards of its own work above the dashboard.
    html = page(client_for(w.city_centre), reverse("front:home"))
    assert html.index("Open warnings you can see") < html.index(f"<h1>{w.city.name}</h1>")
    html = page(client_for(w.city_admin), reverse("front:home"))
    assert "Open warnings you can see" not in html


def test_other_levels_home_pages_link_to_their_dashboard(city, client_for):
    w = city
    for user in (w.district_centre, w.leader, w.head):
        html = page(client_for(user), reverse("front:home"))
        assert 'id="trend-new-warnings"' not in html
        assert f'href="{reverse("analytics:dashboard")}"' in html
    html = page(client_for(w.mentor), reverse("front:home"))
    assert f'href="{reverse("analytics:dashboard")}"' not in html


def test_a_dashboard_reads_as_many_queries_for_many_units_as_for_few(city, client_for):
    """The district's page (with its service groups) and a group's page: the same number of queries for two
    schools in a group as for eight in two groups."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from runxin.org.models import ServiceGroupSchool

    w = city
    one = org_services.service_group_create(district=w.east, name="东区一片")
    ServiceGroupSchool.objects.create(group=one, school=w.school)
    client = client_for(w.city_admin)
    urls = [reverse("analytics:dashboard_unit", args=[w.east.pk]), reverse("analytics:dashboard_group", args=[one.pk])]
    client.get(urls[0])  # warm the session

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    few = counts()
    two = org_services.service_group_create(district=w.east, name="东区二片")
    for n in range(3, 9):
        school = f.school(w.east, f"东区第{n}中学", f"S-E{n}")
        ServiceGroupSchool.objects.create(group=one if n % 2 else two, school=school)
        put(school, "students", 500)
    assert counts() == [few[0] + 1, few[1] + 1]  # one more group: one query for its schools
    assert max(few) <= 25, few


def test_screening_completion_of_this_school_years_campaigns(city, client_for):
    from datetime import timedelta

    from runxin.analytics.models import CampaignFigure
    from runxin.screening.models import Campaign

    w = city
    start = facts.school_year_start(MONTH)
    this_year = Campaign.objects.create(name="秋季开学普测", kind=Campaign.Kind.UNIVERSAL, owner=w.school,
                                        status=Campaign.Status.CLOSED, created_by=w.psych, window_start=start + timedelta(days=10),
                                        window_end=start + timedelta(days=30))
    last_year = Campaign.objects.create(name="去年春季普测", kind=Campaign.Kind.UNIVERSAL, owner=w.school,
                                        created_by=w.psych, window_start=start - timedelta(days=180),
                                        window_end=start - timedelta(days=160))
    city_wide = Campaign.objects.create(name="全市普测", kind=Campaign.Kind.UNIVERSAL, owner=w.city,
                                        created_by=w.city_admin, window_start=start + timedelta(days=40),
                                        window_end=start + timedelta(days=60))
    for campaign, targets, done in [(this_year, 900, 810), (last_year, 880, 700), (city_wide, 900, 450)]:
        CampaignFigure.objects.create(campaign=campaign, unit=w.school, measure="targets", value=targets)
        CampaignFigure.objects.create(campaign=campaign, unit=w.school, measure="done", value=done)
    html = page(client_for(w.leader), reverse("analytics:dashboard"))
    figures = Figures(html)
    done_key = f"c:{this_year.pk}:{w.school.pk}::all::done"
    assert figures.figures[done_key][0][:2] == (810, None)
    assert figures.rates[done_key] == ["90.0%"]
    assert "去年春季普测" not in html  # last school year's
    assert reverse("analytics:screening_report", args=[this_year.pk, w.school.pk]) in html
    assert client_for(w.leader).get(reverse("analytics:screening_report", args=[this_year.pk, w.school.pk])) \
        .status_code == 200  # the link opens the campaign's report
    assert reverse("analytics:screening_report", args=[city_wide.pk, w.school.pk]) in html  # its schools' part
    assert figures.rates[f"c:{city_wide.pk}:{w.school.pk}::all::done"] == ["50.0%"]
    # A school's campaign has no district report: the district's dashboard shows its completion, unlinked.
    CampaignFigure.objects.create(campaign=this_year, unit=w.east, measure="targets", value=900)
    html = page(client_for(w.district_centre), reverse("analytics:dashboard"))
    assert f"c:{this_year.pk}:{w.east.pk}::all::targets" in Figures(html).figures
    assert reverse("analytics:screening_report", args=[this_year.pk, w.east.pk]) not in html
    # A class has completion figures but no report of its own (and a head teacher opens no screening report).
    CampaignFigure.objects.create(campaign=this_year, unit=w.class1, measure="done", value=36)
    html = page(client_for(w.head), reverse("analytics:dashboard"))
    assert Figures(html).figures[f"c:{this_year.pk}:{w.class1.pk}::all::done"][0][:2] == (36, None)
    assert "/analytics/screening/" not in html

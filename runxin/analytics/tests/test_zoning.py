"""District risk zoning: the rule on constructed counts (each zone, the boundaries, too few students), and the
zoning of a city from stored monthly figures, with the window's sums suppressed as the pages show them."""

from datetime import date

import pytest

from runxin.analytics import facts, zoning
from runxin.analytics.models import UnitFigure
from runxin.analytics.selectors import Figure
from runxin.analytics.zoning import FEW, GENERAL, KEY, UNCLASSIFIED, Counts, Policy, classify
from runxin.testing import factories as f

RULE = Policy(window_months=12, min_students=1000, key_percent=150, few_percent=50)
# The city: 10,000 students, 100 warnings (10 per 1,000), 10 incidents (1 per 1,000).
CITY = Counts(students=10_000, warnings=100, incidents=10)


# --------------------------------------------------------------------------------------------- the rule

@pytest.mark.parametrize(("district", "zone"), [
    (Counts(2000, 40, 2), KEY),  # warnings 20 per 1,000: twice the city's
    (Counts(2000, 20, 6), KEY),  # incidents 3 per 1,000: three times the city's, warnings ordinary
    (Counts(2000, 20, 2), GENERAL),  # both at the city's rate
    (Counts(2000, 10, 1), FEW),  # both at half the city's
    (Counts(2000, 0, 0), FEW),  # none at all
    (Counts(999, 500, 50), UNCLASSIFIED),  # too few students, however high the rates
])
def test_each_zone(district, zone):
    assert classify(district, CITY, RULE) == zone


def test_the_key_boundary_is_reached_at_exactly_the_percentage():
    # 150 % of 10 per 1,000 is 15 per 1,000: 30 warnings among 2,000 students.
    assert classify(Counts(2000, 30, 2), CITY, RULE) == KEY
    assert classify(Counts(2000, 29, 2), CITY, RULE) == GENERAL
    # The same for incidents: 1.5 per 1,000 is 3 incidents among 2,000 students.
    assert classify(Counts(2000, 20, 3), CITY, RULE) == KEY


def test_the_low_incidence_boundary_is_reached_at_exactly_the_percentage():
    # 50 % of 10 per 1,000 is 5 per 1,000: 10 warnings among 2,000; 50 % of 1 per 1,000: 1 incident.
    assert classify(Counts(2000, 10, 1), CITY, RULE) == FEW
    assert classify(Counts(2000, 11, 1), CITY, RULE) == GENERAL
    assert classify(Counts(2000, 10, 2), CITY, RULE) == GENERAL


def test_the_minimum_of_students_is_classified():
    assert classify(Counts(1000, 0, 0), CITY, RULE) == FEW
    assert classify(Counts(999, 0, 0), CITY, RULE) == UNCLASSIFIED


def test_a_city_without_warnings_or_incidents_makes_every_district_low_incidence():
    quiet = Counts(10_000, 0, 0)
    assert classify(Counts(5000, 0, 0), quiet, RULE) == FEW


def test_a_district_without_any_is_never_key_even_when_the_city_has_none_of_one_kind():
    city = Counts(10_000, 100, 0)
    assert classify(Counts(2000, 20, 0), city, RULE) == GENERAL
    assert classify(Counts(2000, 0, 0), city, RULE) == FEW


def test_the_thresholds_are_policy():
    strict = Policy(window_months=12, min_students=100, key_percent=120, few_percent=80)
    assert classify(Counts(2000, 25, 2), CITY, RULE) == GENERAL
    assert classify(Counts(2000, 25, 2), CITY, strict) == KEY
    assert classify(Counts(500, 4, 0), CITY, strict) == FEW


def test_the_policy_comes_from_the_settings(settings):
    settings.RISK_ZONING_WINDOW_MONTHS = 6
    settings.RISK_ZONING_MIN_STUDENTS = 200
    settings.RISK_ZONING_KEY_PERCENT = 175
    settings.RISK_ZONING_FEW_PERCENT = 40
    assert zoning.policy() == Policy(6, 200, 175, 40)


def test_the_method_states_the_thresholds(english):
    text = " ".join(zoning.method(RULE, date(2026, 1, 1), date(2026, 12, 1)))
    assert "12 calendar months" in text
    assert "at least 150% of the city's rate" in text
    assert "at most 50% of the city's rates" in text
    assert "fewer than 1,000 students is not classified" in text
    assert "重点警示区域" in text and "一般警示区" in text and "少发不发区" in text


def test_shift_month():
    assert zoning.shift_month(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert zoning.shift_month(date(2026, 11, 1), 13) == date(2027, 12, 1)


# --------------------------------------------------------------------------------------------- the sums

def nested(flat: dict) -> dict:
    """{(unit, month, measure): (value, suppressed)} as the read API gives figures: unit → month → measure."""
    result: dict = {}
    for (unit, month, measure), (value, suppressed) in flat.items():
        result.setdefault(unit, {}).setdefault(month, {})[measure] = Figure(value, suppressed)
    return result


def test_a_sum_over_a_hidden_month_is_hidden_and_a_small_sum_is_hidden_first():
    months = [date(2026, 1, 1), date(2026, 2, 1)]
    figures = {
        (1, months[0], "m"): (3, True), (1, months[1], "m"): (40, False),  # a hidden month: the sum would give it
        (2, months[0], "m"): (2, True), (2, months[1], "m"): (1, True),  # a sum of 3
        (3, months[0], "m"): (20, False), (3, months[1], "m"): (30, False),
    }
    sums = zoning.window_totals(nested(figures), unit_ids=[1, 2, 3], months=months, measures=["m"])
    assert sums[(1, "m")].hidden == zoning.COMPLEMENTARY and sums[(1, "m")].value == 43
    assert sums[(2, "m")].hidden == zoning.PRIMARY
    assert sums[(3, "m")] == zoning.PageFigure("sum:3:m:2026-01:2026-02", 50, "")


def test_a_city_sum_line_gets_a_complementary_sum():
    months = [date(2026, 1, 1)]
    # As the refresh stores them: the district's 3 hidden, and its neighbour's 4 with it (both small).
    figures = {(10, months[0], "m"): (47, False), (1, months[0], "m"): (3, True), (2, months[0], "m"): (4, True),
               (3, months[0], "m"): (40, False)}
    sums = zoning.window_totals(nested(figures), unit_ids=[10, 1, 2, 3], months=months, measures=["m"], total_of=10)
    hidden = {unit for (unit, _m), figure in sums.items() if figure.hidden}
    assert hidden == {1, 2}


def test_a_sum_of_visible_months_is_never_hidden_and_unprotectable_stored_flags_hide_every_sum_they_touch():
    months = [date(2026, 1, 1), date(2026, 2, 1)]
    # Inconsistent stored flags (one hidden district month and nothing else in its city line): the page cannot
    # protect it with sums alone, so it hides every sum over a hidden month and nothing else.
    figures = {(10, months[0], "m"): (47, False), (10, months[1], "m"): (9, False),
               (1, months[0], "m"): (7, True), (1, months[1], "m"): (9, False),
               (2, months[0], "m"): (40, False)}
    sums = zoning.window_totals(nested(figures), unit_ids=[10, 1, 2], months=months, measures=["m"], total_of=10)
    assert {unit for (unit, _m), figure in sums.items() if figure.hidden} == {1}


# --------------------------------------------------------------------------------------- zoning a city

def _figures(unit, last: date, months: int, *, students: int, warnings: list[int], incidents: list[int],
             hidden: frozenset = frozenset()):
    """Monthly figures for `months` months ending at `last`: students at the end, warnings and incidents per
    month (the lists' last value is the last month's); `hidden` names (measure, month index) stored suppressed."""
    rows = [UnitFigure(unit=unit, month=last, measure=zoning.STUDENTS, value=students)]
    for measure, values in ((zoning.WARNINGS, warnings), (zoning.INCIDENTS, incidents)):
        for i, value in enumerate(values):
            month = zoning.shift_month(last, i - len(values) + 1)
            rows.append(UnitFigure(unit=unit, month=month, measure=measure, value=value,
                                   suppressed=(measure, i) in hidden))
    UnitFigure.objects.bulk_create(rows)


@pytest.fixture
def city(db):
    city = f.city("测算市", "Z00")
    city.districts = [f.district(city, name, code) for name, code in
                      (("甲区", "Z01"), ("乙区", "Z02"), ("丙县", "Z03"), ("丁县", "Z04"))]
    return city


def test_zoning_a_city_from_its_monthly_figures(city):
    last = date(2026, 11, 1)
    a, b, c, d = city.districts
    # 12 months. City: 10,000 students, 120 warnings (12 per 1,000), 12 incidents (1.2 per 1,000).
    _figures(a, last, 12, students=4000, warnings=[8] * 12, incidents=[1] * 12)  # 24 and 3 per 1,000: key
    _figures(b, last, 12, students=3000, warnings=[3] * 12, incidents=[0] * 12)  # 12 per 1,000: general
    _figures(c, last, 12, students=2500, warnings=[1] * 12, incidents=[0] * 12)  # 4.8 per 1,000: low incidence
    _figures(d, last, 12, students=500, warnings=[0] * 12, incidents=[0] * 12)  # too few students
    _figures(city, last, 12, students=10_000, warnings=[12] * 12, incidents=[1] * 12)
    # A month before the window does not count.
    UnitFigure.objects.create(unit=c, month=date(2025, 11, 1), measure=zoning.WARNINGS, value=500)

    result = zoning.zoning(city, date(2026, 11, 20), RULE)
    assert (result.first, result.last) == (date(2025, 12, 1), date(2026, 11, 1))
    assert [(row.unit.name, row.zone) for row in result.districts] == [
        ("甲区", KEY), ("乙区", GENERAL), ("丙县", FEW), ("丁县", UNCLASSIFIED)]
    assert result.city.warnings.value == 144 and result.city.students == 10_000
    assert [row.warnings.value for row in result.districts] == [96, 36, 12, 0]
    assert result.districts[0].warning_rate == 24 and result.districts[0].incident_rate == 3
    assert [result.count(zone) for zone in zoning.ZONES] == [1, 1, 1, 1]


def test_the_window_follows_the_policy(city):
    last = date(2026, 11, 1)
    a, b, c, d = city.districts
    for unit, students in ((a, 4000), (b, 3000), (c, 2000), (d, 1000)):
        _figures(unit, last, 12, students=students, warnings=[0] * 11 + [10], incidents=[0] * 12)
    _figures(city, last, 12, students=10_000, warnings=[0] * 11 + [40], incidents=[0] * 12)
    UnitFigure.objects.filter(unit=a, measure=zoning.WARNINGS, month=date(2026, 5, 1)).update(value=100)
    UnitFigure.objects.filter(unit=city, measure=zoning.WARNINGS, month=date(2026, 5, 1)).update(value=100)
    year = zoning.zoning(city, last, RULE)
    three = zoning.zoning(city, last, Policy(3, 1000, 150, 50))
    assert year.districts[0].warnings.value == 110 and year.districts[0].zone == KEY
    assert three.districts[0].warnings.value == 10 and three.districts[0].zone == GENERAL
    assert three.first == date(2026, 9, 1)


def test_the_sums_carry_the_suppression_of_their_months(city):
    last = date(2026, 11, 1)
    a, b, c, d = city.districts
    # 甲区 had 2 incidents in one month (stored hidden); 乙区 none; 丙县 9 visible; 丁县 3 in all (hidden primary).
    _figures(a, last, 12, students=4000, warnings=[10] * 12, incidents=[0] * 11 + [2],
             hidden=frozenset({(zoning.INCIDENTS, 11)}))
    _figures(b, last, 12, students=3000, warnings=[10] * 12, incidents=[0] * 12)
    _figures(c, last, 12, students=2000, warnings=[10] * 12, incidents=[0] * 3 + [9] + [0] * 8)
    _figures(d, last, 12, students=1000, warnings=[10] * 12, incidents=[1, 1, 1] + [0] * 9,
             hidden=frozenset({(zoning.INCIDENTS, 0), (zoning.INCIDENTS, 1), (zoning.INCIDENTS, 2)}))
    _figures(city, last, 12, students=10_000, warnings=[40] * 12, incidents=[1, 1, 1, 9] + [0] * 7 + [2],
             hidden=frozenset({(zoning.INCIDENTS, 0), (zoning.INCIDENTS, 1), (zoning.INCIDENTS, 2),
                               (zoning.INCIDENTS, 11)}))
    result = zoning.zoning(city, last, RULE)
    incidents = {row.unit.name: row.incidents for row in result.districts}
    assert incidents["甲区"].hidden == zoning.PRIMARY  # 2
    assert incidents["丁县"].hidden == zoning.PRIMARY  # 3
    assert incidents["乙区"].hidden == "" and incidents["乙区"].value == 0
    # The city's hidden months add up to 5 (2 and three 1s), so to an outsider its sum of 14 − 9 gives only
    # 甲区 + 丁县; but 甲区's centre knows its own 2 and would read 丁县's 3 from it: the city's sum is hidden too.
    assert (result.city.incidents.hidden, result.city.incidents.value) == (zoning.COMPLEMENTARY, 14)
    # The zone is still decided on the exact counts: 丁县's 3 among 1,000 is 3 per 1,000, over twice the city's 1.4.
    assert {row.unit.name: row.zone for row in result.districts}["丁县"] == KEY
    shown = zoning.cell(incidents["丁县"], exact=False)
    assert (shown.value, shown.text) == (None, "*")
    assert zoning.cell(incidents["丁县"], exact=True).text == "3"
    assert incidents["丁县"].key == f"sum:{d.pk}:incidents.new:2025-12:2026-11"


def test_the_same_window_hides_the_same_sums_whichever_measures_a_page_shows(city):
    last = date(2026, 11, 1)
    a, b, c, d = city.districts
    for unit in (a, b, c, d):
        _figures(unit, last, 12, students=2000, warnings=[5] * 12, incidents=[0] * 12)
    _figures(city, last, 12, students=8000, warnings=[20] * 12, incidents=[0] * 12)
    # 甲区's new warnings by level: 58 yellow and 2 red over the year; in the two months of a red 1 the yellow 4
    # is hidden too (as the refresh stores them: otherwise 5 − 4 gives the red 1).
    UnitFigure.objects.bulk_create([
        UnitFigure(unit=a, month=zoning.shift_month(last, -n), measure="warnings.new.yellow", value=5) for n in range(10)
    ] + [UnitFigure(unit=a, month=zoning.shift_month(last, -n), measure="warnings.new.yellow", value=4,
                    suppressed=True) for n in (10, 11)]
      + [UnitFigure(unit=a, month=zoning.shift_month(last, -n), measure="warnings.new.red", value=1, suppressed=True)
         for n in (10, 11)])
    months = facts.months_between(zoning.shift_month(last, -11), last)
    sums = zoning.city_sums(city, city.districts, months)
    assert set(sums.level_measures) >= {"warnings.new.red", "warnings.new.yellow"}
    assert sums.get(a.pk, "warnings.new.red").hidden == zoning.PRIMARY
    # The yellow sum (58) would give the red one (60 − 58) back: one of the line's other sums is hidden too.
    line = [sums.get(a.pk, m) for m in ("warnings.new", "warnings.new.yellow")]
    assert any(figure.hidden for figure in line)
    # The zoning page reads the same decision.
    row = zoning.zoning(city, last, RULE).districts[0]
    assert row.warnings == sums.get(a.pk, "warnings.new")

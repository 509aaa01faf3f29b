"""The figures' read API (analytics.selectors): what the dashboards get for a unit and months, the drill-down
tree, service groups, and who sees exact figures."""

from datetime import date

import pytest

from runxin.analytics import facts, refresh, selectors
from runxin.analytics.models import UnitFigure
from runxin.org.models import OrgUnit, ServiceGroup, ServiceGroupSchool
from runxin.testing import factories as f
from runxin.testing.clock import frozen_at, local
from runxin.testing.world import build_world

pytestmark = pytest.mark.django_db

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def w():
    return build_world()


def test_a_units_months_hold_every_measure_with_what_is_stored(w):
    UnitFigure.objects.create(unit=w.school, month=OCT, measure="warnings.new", value=3, suppressed=True)
    UnitFigure.objects.create(unit=w.school, month=OCT, measure="students", value=812)
    UnitFigure.objects.create(unit=w.school, month=NOV, measure="warnings.new", value=9, suppressed=True)
    UnitFigure.objects.create(unit=w.other_school, month=NOV, measure="warnings.new", value=6)
    months = selectors.unit_months(w.school, date(2026, 9, 1), NOV)
    assert list(months) == [date(2026, 9, 1), OCT, NOV]
    assert set(months[OCT]) == {m.code for m in facts.measures()}
    assert "warnings.new.red" in months[OCT] and "warnings.current.yellow" in months[OCT]
    new = months[OCT]["warnings.new"]
    assert new == 3 and new.suppressed and new.hidden == "primary"
    assert months[NOV]["warnings.new"].hidden == "complementary"  # hidden, though not small: it protects another
    assert months[OCT]["students"] == 812 and months[OCT]["students"].hidden == ""
    assert months[date(2026, 9, 1)]["warnings.new"] == 0 and not months[date(2026, 9, 1)]["warnings.new"].suppressed
    both = selectors.units_month([w.school, w.other_school], date(2026, 11, 17), ["warnings.new", "students"])
    assert both == {w.school.pk: {"warnings.new": 9, "students": 0}, w.other_school.pk: {"warnings.new": 6, "students": 0}}
    series = selectors.units_months([w.school], OCT, NOV, ["students"])
    assert series == {w.school.pk: {OCT: {"students": 812}, NOV: {"students": 0}}}


def test_reading_many_units_is_one_query(w, django_assert_num_queries):
    units = [w.city, w.east, w.west, w.school, w.other_school]
    with django_assert_num_queries(2):  # the figures, and the warning levels of the catalogue
        selectors.units_months(units, date(2025, 9, 1), NOV)


def test_the_school_year_runs_from_september_to_the_running_month(w):
    assert selectors.school_year_months(date(2026, 11, 17)) == [date(2026, 9, 1), OCT, NOV]
    assert selectors.school_year_months(date(2026, 9, 2)) == [date(2026, 9, 1)]
    with frozen_at(local(2026, 10, 9)):
        assert selectors.school_year_months() == [date(2026, 9, 1), OCT]


def test_the_drill_down_goes_one_level_at_a_time(w):
    f.school_class(w.school, 8, 1, f.school_year("2025-2026", current=False))  # last year's grade: not shown
    assert selectors.children(w.city) == [w.east, w.west]
    assert selectors.children(w.east) == [w.school]
    grades = selectors.children(w.school)
    assert [g.kind for g in grades] == ["grade"] and grades[0].school_year_id == w.year.pk
    assert selectors.children(grades[0]) == [w.class1, w.class2]
    assert selectors.children(w.class1) == []


def test_a_service_group_is_its_schools(w):
    third = f.school(w.east, "东区第二中学", "S-E2")
    group = ServiceGroup.objects.create(district=w.east, name="东区北片", code="G1")
    ServiceGroup.objects.create(district=w.east, name="停用片区", code="G0", is_active=False)
    for school in (w.school, third):
        ServiceGroupSchool.objects.create(group=group, school=school)
    assert selectors.service_groups(w.east) == [group]
    assert selectors.group_units(group) == [w.school, third]
    assert selectors.service_groups(w.west) == []
    figures = selectors.units_month(selectors.group_units(group), NOV, ["warnings.new"])
    assert selectors.sum_figures([{"warnings.new": 2, "students": 10}, {"warnings.new": 3}]) == \
        {"warnings.new": 5, "students": 10}
    assert selectors.sum_figures(figures.values()) == {"warnings.new": 0}


def test_need_to_know_is_seeing_the_students_risk_levels(w):
    assert selectors.needs_to_know(w.psych, w.school)
    assert selectors.needs_to_know(w.head, w.class1)
    assert not selectors.needs_to_know(w.head, w.school)  # a head teacher knows the class, not the school
    assert not selectors.needs_to_know(w.psych, w.other_school)
    assert not selectors.needs_to_know(w.city_admin, w.city)  # the bureau sees aggregates outside need-to-know
    assert not selectors.needs_to_know(w.supervisor, w.school)
    assert not selectors.needs_to_know(w.outsider, w.class1)


def test_as_of_is_the_start_of_the_last_finished_pass(w):
    assert selectors.as_of() is None
    moment = local(2026, 11, 17, 9, 30)
    with frozen_at(moment, tick=False):
        refresh.rebuild()
    assert selectors.as_of() == moment
    assert UnitFigure.objects.filter(unit=w.city, month=NOV, measure="students").get().value == 4
    assert OrgUnit.objects.filter(kind="class").count() == 3

"""The demo city generator on an empty database: the school year from the clock, the roster's rates at a larger
size, and demo_logins before any city exists (the built city's own tests are in test_demo_city.py)."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from runxin.alerts.models import Warning
from runxin.demo import generator
from runxin.people.models import GroupMembership, Student
from runxin.screening.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("today,code", [
    (dt.date(2027, 8, 31), "2026-2027"),  # the last day of a school year
    (dt.date(2027, 9, 1), "2027-2028"),  # a year starts on 1 September
    (dt.date(2028, 2, 29), "2027-2028"),
])
def test_the_school_year_is_the_one_today_falls_in(db, today, code):
    year = generator.current_school_year(today)
    assert (year.code, year.is_current) == (code, True)
    assert year.starts_on <= today <= year.ends_on


def test_special_groups_and_key_students_at_plausible_rates(db):
    call_command("demo_city", students=5000, seed=3, no_activity=True, stdout=StringIO())  # rates of the roster only
    share = {code: n / 5000 for code, n in Counter(GroupMembership.objects.values_list("group__code", flat=True)).items()}
    left_behind = share.get("left_behind_one", 0) + share.get("left_behind_both", 0)
    assert 0.04 <= left_behind <= 0.13
    assert 0.05 <= share["migrant"] <= 0.14 and 0.06 <= share["single_parent"] <= 0.10
    assert 0.02 <= share["poor"] <= 0.08 and share["orphan"] < 0.01 and 0.01 <= share["bullied"] <= 0.04
    assert 0.02 <= Student.objects.filter(is_key_student=True).count() / 5000 <= 0.05
    # Left-behind children are more common in the counties than in the town districts.
    county = Student.objects.filter(district__name__endswith="县")
    town = Student.objects.filter(district__name__endswith="区")
    rate = {name: qs.filter(memberships__group__code__startswith="left_behind").count() / qs.count()
            for name, qs in (("county", county), ("town", town))}
    assert rate["county"] > rate["town"]
    special = Student.objects.filter(school__school_type="special")
    assert special.exists() and not special.exclude(memberships__group__code="disabled").exists()


def test_demo_logins_without_a_city_says_what_to_do(db):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "runxin demo-city" in out.getvalue()


def test_no_activity_gives_people_only(db):
    call_command("demo_city", students=300, seed=3, no_activity=True, stdout=StringIO())
    assert not Campaign.objects.exists()
    assert not Warning.objects.exists()

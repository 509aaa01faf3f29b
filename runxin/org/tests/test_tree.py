"""The region tree page, its htmx expansion and the unit page: counts, suppression, query counts, denial."""

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from runxin.org.models import OrgUnit
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_city_centre_sees_every_district_with_exact_counts(world, client_for):
    response = client_for(world.city_centre).get(reverse("org:tree"))
    assert response.status_code == 200
    body = text(response)
    # One root (the city), opened at once: its districts with school and student counts.
    assert "测试市 2 schools 4 students" in body
    assert "东区 1 school 3 students" in body and "西区 1 school 1 students" in body


def test_city_admin_without_student_access_sees_small_counts_suppressed(world, client_for):
    body = text(client_for(world.city_admin).get(reverse("org:tree")))
    assert "东区 1 school <5 students" in body and "西区 1 school <5 students" in body
    assert "3 students" not in body


def test_supervisor_sees_suppressed_counts_but_large_ones_exactly(world, client_for):
    for _ in range(5):
        f.StudentFactory(school_class=world.other_class)
    body = text(client_for(world.supervisor).get(reverse("org:children", args=[world.city.pk])))
    assert "西区 1 school 6 students" in body and "东区 1 school <5 students" in body


def test_psych_teacher_starts_at_the_school_and_sees_grades_exactly(world, client_for):
    body = text(client_for(world.psych).get(reverse("org:tree")))
    assert "东区第一中学 Junior secondary (初中) 3 students" in body
    assert "七年级 3 students" in body and "西区" not in body


def test_expanding_a_grade_shows_its_classes(world, client_for):
    grade = world.class1.parent
    body = text(client_for(world.psych).get(reverse("org:children", args=[grade.pk])))
    assert "七年级(1)班 2 students" in body and "七年级(2)班 1 students" in body


def test_head_teacher_sees_own_class_only(world, client_for):
    client = client_for(world.head)
    body = text(client.get(reverse("org:tree")))
    assert "七年级(1)班 2 students" in body and "七年级(2)班" not in body
    assert client.get(reverse("org:unit", args=[world.class2.pk])).status_code == 404


def test_graduated_students_are_not_counted(world, client_for):
    world.a1.status = "graduated"
    world.a1.save()
    body = text(client_for(world.psych).get(reverse("org:children", args=[world.class1.parent_id])))
    assert "七年级(1)班 1 students" in body


def _expand_queries(client, unit) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("org:children", args=[unit.pk])).status_code == 200
    return len(queries)


def test_one_expansion_costs_the_same_queries_however_many_children(world, client_for):
    client = client_for(world.city_centre)
    client.get(reverse("org:tree"))  # warm the session
    few = _expand_queries(client, world.city)
    for number in range(6):
        district = f.district(world.city, f"新区{number}")
        school = f.school(district, f"新区{number}中学")
        for _ in range(3):
            f.StudentFactory(school_class=f.school_class(school, 8, 1, world.year))
    many = _expand_queries(client, world.city)
    assert many == few
    # Session, user, grants and the session save, then: the unit check, the children, one GROUP BY for
    # the student counts and one for the school counts.
    assert few <= 11


def test_tree_page_query_count_is_bounded(world, client_for, django_assert_max_num_queries):
    client = client_for(world.city_centre)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("org:tree"))
    assert response.status_code == 200
    # Within the budget, the city centre sees its city and both districts.
    body = response.content.decode()
    assert all(name in body for name in ("测试市", "东区", "西区"))


@pytest.mark.parametrize("url_name", ["org:tree"])
def test_stranger_is_refused_the_tree(world, client_for, url_name):
    assert client_for(world.outsider).get(reverse(url_name)).status_code == 403


def test_stranger_is_refused_unit_pages(world, client_for):
    client = client_for(world.outsider)
    assert client.get(reverse("org:unit", args=[world.school.pk])).status_code == 403
    assert client.get(reverse("org:children", args=[world.school.pk])).status_code == 403


def test_other_school_gets_404_for_this_school(world, client_for):
    client = client_for(world.other_psych)
    assert client.get(reverse("org:unit", args=[world.school.pk])).status_code == 404
    assert client.get(reverse("org:children", args=[world.school.pk])).status_code == 404
    assert client.get(reverse("org:unit", args=[world.other_school.pk])).status_code == 200


def test_district_centre_cannot_open_the_other_district(world, client_for):
    client = client_for(world.district_centre)
    assert client.get(reverse("org:unit", args=[world.west.pk])).status_code == 404
    assert client.get(reverse("org:children", args=[world.west.pk])).status_code == 404
    assert client.get(reverse("org:unit", args=[world.east.pk])).status_code == 200


def test_mentor_without_org_browse_is_refused(world, client_for):
    assert client_for(world.mentor).get(reverse("org:tree")).status_code == 403


def test_unit_page_lists_staff_and_children(world, client_for):
    response = client_for(world.leader).get(reverse("org:unit", args=[world.school.pk]))
    assert response.status_code == 200
    body = text(response)
    assert "Psychology teacher (心理教师)" in body and "psych" in body and "School leader" in body
    assert "七年级" in body and "S-E1" in body
    assert "List these students" in body  # the leader may open the school's students


def test_unit_page_staff_leaves_out_students_and_parents(world, client_for):
    body = text(client_for(world.leader).get(reverse("org:unit", args=[world.class1.pk])))
    assert "Head teacher (班主任)" in body
    assert "parent_a1" not in body and "student_a1" not in body and "committee" not in body


def test_school_page_breaks_down_grades_by_sex_for_the_chart(world, client_for):
    response = client_for(world.psych).get(reverse("org:unit", args=[world.school.pk]))
    data = json.loads(re.search(r'id="grade-sex-data"[^>]*>(.*?)</script>', response.content.decode(), re.S).group(1))
    assert data["labels"] == ["七年级"]
    boys, girls = data["datasets"][0]["data"][0], data["datasets"][1]["data"][0]
    assert boys + girls == 3
    assert "chart.umd.min.js" in response.content.decode()


def test_breakdown_is_suppressed_for_the_supervisor(world, client_for):
    response = client_for(world.supervisor).get(reverse("org:unit", args=[world.school.pk]))
    body = response.content.decode()
    data = json.loads(re.search(r'id="grade-sex-data"[^>]*>(.*?)</script>', body, re.S).group(1))
    assert all(value in (None, 0) for dataset in data["datasets"] for value in dataset["data"])
    assert "&lt;5" in body and "List these students" not in body


def test_unit_page_query_count_is_bounded(world, client_for, django_assert_max_num_queries):
    client = client_for(world.leader)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("org:unit", args=[world.school.pk])).status_code == 200


def test_inactive_units_drop_out_of_the_tree(world, client_for):
    OrgUnit.objects.filter(pk=world.class2.pk).update(is_active=False)
    body = text(client_for(world.psych).get(reverse("org:children", args=[world.class1.parent_id])))
    assert "七年级(1)班" in body and "七年级(2)班" not in body


def test_after_rollover_the_school_page_keeps_earlier_years(world, client_for):
    from runxin.org import rollover

    to_year = rollover.next_year_get_or_create(world.year)
    rollover.apply_school(school=world.school, from_year=world.year, to_year=to_year, user=world.leader)
    client = client_for(world.psych)
    body = text(client.get(reverse("org:unit", args=[world.school.pk])))
    assert "八年级" in body and "Earlier school years" in body and "2026-2027: 七年级" in body
    new_class = OrgUnit.objects.get(previous=world.class1)
    page = client.get(reverse("org:unit", args=[new_class.pk])).content.decode()
    assert reverse("org:unit", args=[world.class1.pk]) in page
    old = text(client.get(reverse("org:unit", args=[world.class1.pk])))
    assert "past school year" in old and "Students that year 2" in old
    old_grade = text(client.get(reverse("org:unit", args=[world.class1.parent_id])))
    assert "七年级(1)班" in old_grade and "七年级(2)班" in old_grade and "Students that year 3" in old_grade

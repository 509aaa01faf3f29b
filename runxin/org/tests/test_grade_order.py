"""Grades and classes read 七 → 八 → 九 (and 高一 after 九年级), never in the string order of their names
(七 九 八), on the unit page, in the tree and for a user holding roles at several classes."""

from types import SimpleNamespace

import pytest

from runxin.org import grades, services
from runxin.org.models import OrgUnit
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db


def unit(kind, name, **fields):
    return SimpleNamespace(**{"kind": kind, "name": name, "code": "", "grade_level": None, "class_number": None,
                              **fields})


def test_sort_key_orders_grades_by_level_read_from_the_name_when_not_stored():
    names = ["九年级", "高一", "七年级", "八年级", "初一", "六年级"]
    ordered = sorted((unit("grade", n) for n in names), key=grades.sort_key)
    assert [u.name for u in ordered] == ["六年级", "七年级", "初一", "八年级", "九年级", "高一"]


def test_sort_key_orders_classes_by_grade_then_number():
    names = ["九年级(1)班", "七年级(10)班", "七年级(2)班", "八年级(1)班", "高一十班"]
    ordered = sorted((unit("class", n) for n in names), key=grades.sort_key)
    assert [u.name for u in ordered] == ["七年级(2)班", "七年级(10)班", "八年级(1)班", "九年级(1)班", "高一十班"]


def test_sort_key_prefers_stored_levels_and_puts_unreadable_names_last():
    ordered = sorted([unit("grade", "特色班"), unit("grade", "毕业年级", grade_level=9), unit("grade", "七年级")],
                     key=grades.sort_key)
    assert [u.name for u in ordered] == ["七年级", "毕业年级", "特色班"]


def test_sort_key_orders_schools_by_code_then_name():
    ordered = sorted([unit("school", "乙校", code="S2"), unit("school", "甲校", code="S1")], key=grades.sort_key)
    assert [u.name for u in ordered] == ["甲校", "乙校"]


@pytest.fixture
def unnumbered_grades(world):
    """Grades whose level was never stored (an older import made them by name), created out of order."""
    made = {}
    for name in ("九年级", "八年级"):
        made[name] = services.unit_create(kind=OrgUnit.Kind.GRADE, name=name, parent=world.school,
                                          school_year=world.year)
    OrgUnit.objects.filter(pk=world.class1.parent_id).update(grade_level=None)
    return made


def test_unit_page_lists_grades_in_numeric_order(world, client_for, unnumbered_grades):
    response = client_for(world.psych).get(f"/org/{world.school.pk}/")
    assert [c.unit.name for c in response.context["children"]] == ["七年级", "八年级", "九年级"]
    body = response.content.decode()
    assert body.index(">七年级<") < body.index(">八年级<") < body.index(">九年级<")
    assert [row["grade"] for row in response.context["breakdown"]["rows"]] == ["七年级", "八年级", "九年级"]


def test_tree_and_its_lazy_children_list_grades_in_numeric_order(world, client_for, unnumbered_grades):
    client = client_for(world.psych)
    roots = client.get("/org/").context["roots"]
    assert [n.unit.name for n in roots[0]["children"]] == ["七年级", "八年级", "九年级"]
    body = client.get(f"/org/{world.school.pk}/children/").content.decode()
    assert body.index(">七年级<") < body.index(">八年级<") < body.index(">九年级<")


def test_head_teacher_of_several_classes_sees_them_in_reading_order(world, client_for):
    # Created 九 → 七(2) → 八, so their ids (and paths) run in that order.
    nine = f.school_class(world.school, 9, 1, world.year)
    eight = f.school_class(world.school, 8, 1, world.year)
    f.assign(world.head, "head_teacher", nine)
    f.assign(world.head, "head_teacher", eight)
    roots = client_for(world.head).get("/org/").context["roots"]
    assert [r["node"].unit.name for r in roots] == ["七年级(1)班", "八年级(1)班", "九年级(1)班"]


def test_unit_names_are_labelled_as_names_of_units_not_people(world, client_for):
    body = client_for(world.psych).get(f"/org/{world.school.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    children_table = body[body.index("<h2>年级</h2>"):]
    assert "<th>名称</th>" in children_table
    staff_table = body[body.index("<h2>") : body.index("<h2>年级</h2>")]
    assert "姓名" in staff_table  # the staff are people

"""people.services.place_students and students_move: the one place the placement rules live (issue 10)."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Value

from runxin.people import bulk
from runxin.people.models import Enrollment, Student
from runxin.people.services import Placing, place_students, placement_fields, students_move

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 2)


def history(student) -> list[tuple]:
    return list(Enrollment.objects.filter(student=student).order_by("id").values_list(
        "school_class_id", "started_on", "ended_on", "reason", "end_reason"))


def placement(student) -> dict:
    student.refresh_from_db()
    return {name: getattr(student, name) for name in bulk.PLACEMENT}


def test_sql_placement_is_the_python_rule(world):
    classes = [world.class1, world.class2, world.other_class]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {bulk.placement_sql('c')} FROM org_orgunit c WHERE c.id = ANY(%s) ORDER BY c.id",  # noqa: S608
                       [[c.id for c in classes]])
        rows = cursor.fetchall()
    expected = [tuple(placement_fields(c).values()) for c in sorted(classes, key=lambda c: c.id)]
    assert rows == expected
    assert expected[2][3] == world.west.id and expected[2][4] == world.city.id  # not the same for every class


def test_place_students_creates_moves_and_keeps(world):
    a1_before = history(world.a1)
    newcomer = Student(student_number="G320500201301010011", name="新生", sex="M", birth_date=dt.date(2013, 1, 1))
    world.a2.name = "李二二"
    place_students([
        Placing(newcomer, world.class2, Enrollment.Reason.IMPORTED),
        Placing(world.w1, world.class1, Enrollment.Reason.TRANSFERRED_IN),  # another school
        Placing(world.a2, world.class1, Enrollment.Reason.CLASS_CHANGED),  # same class, new name
    ], on=ON, fields=["name"])

    newcomer = Student.objects.get(student_number="G320500201301010011")
    assert placement(newcomer) == placement_fields(world.class2)
    assert history(newcomer) == [(world.class2.id, ON, None, "imported", "")]
    # The transfer: the old school's enrollment ends on the day, the new one starts, the columns follow.
    assert placement(world.w1) == placement_fields(world.class1)
    old, new = history(world.w1)
    assert old[0] == world.other_class.id and (old[2], old[4]) == (ON, "transferred_in")
    assert new == (world.class1.id, ON, None, "transferred_in", "")
    # Same class: the name is saved and no history is written.
    world.a2.refresh_from_db()
    assert world.a2.name == "李二二"
    assert len(history(world.a2)) == 1 and history(world.a2)[0][2] is None
    assert history(world.a1) == a1_before  # not named: untouched


def test_students_move_is_set_based_with_its_own_dates(world):
    starts = dt.date(2027, 9, 1)
    moves = Student.objects.filter(school_class=world.class1).annotate(
        to_class=Value(world.class2.id)).values_list("id", "to_class")
    assert students_move(moves=moves, on=dt.date(2027, 8, 31), starts_on=starts, reason="promoted") == 2
    for student in (world.a1, world.a2):
        assert placement(student) == placement_fields(world.class2)
        old, new = history(student)
        assert (old[0], old[2], old[4]) == (world.class1.id, dt.date(2027, 8, 31), "promoted")
        assert new == (world.class2.id, starts, None, "promoted", "")
    assert placement(world.b1) == placement_fields(world.class2) and len(history(world.b1)) == 1  # not moved

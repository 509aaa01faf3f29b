"""Writes about students: placing them in classes (with history), transfers and graduation.

This module and people/bulk.py are the only writers of enrollment rows and of a student's placement
columns (school_class, grade, school, district, city): the roster import, the school-year rollover and a
single transfer all come through here (people/tests/test_place_students_one_writer.py keeps it so). Each of
them ends, in the same transaction, the class psych committee appointments of students who left their class
(people/committee.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from runxin.org.models import OrgUnit

from . import bulk, committee
from .models import Enrollment, Student


def placement_fields(school_class: OrgUnit) -> dict:
    """The denormalised placement columns for a student in this class (people.bulk.placement_sql is the
    same rule in SQL)."""
    school = school_class.school
    return {
        "school_class_id": school_class.id,
        "grade_id": school_class.parent_id,
        "school_id": school_class.school_id,
        "district_id": school_class.district_id,
        "city_id": school.parent.parent_id if school is not None else None,
    }


@dataclass(frozen=True)
class Placing:
    """One student to place: a new, unsaved Student or one on file, the class, and the reason (an
    Enrollment.Reason; for the enrollment it ends, the end reason)."""

    student: Student
    school_class: OrgUnit
    reason: str


def _write_history(rows: list[tuple[int, int, str, bool]], *, on: date, starts_on: date | None = None,
                   now=None) -> None:
    with connection.cursor() as cursor:
        bulk.stage(cursor)
        bulk.stage_rows(cursor, rows)
        bulk.place_staged(cursor, on=on, starts_on=starts_on, now=now)
        bulk.unstage(cursor)


@transaction.atomic
def place_students(rows: Iterable[Placing], *, on: date, fields: Iterable[str] = ()) -> None:
    """Place many students at once, in a fixed number of statements: new students are created and students
    on file saved (their placement columns, status "enrolled", and the other `fields` the caller changed),
    then the history follows the people.bulk rules — an open enrollment in another class ends on `on` with
    the row's reason, and a student without an open enrollment gets one from `on`. Writes without model
    signals (the bulk paths' contract), like the PostgreSQL import."""
    rows = list(rows)
    now = timezone.now()
    cities: dict[int, int | None] = {}
    new, existing = [], []
    for row in rows:
        student, unit = row.student, row.school_class
        if unit.id not in cities:
            cities[unit.id] = placement_fields(unit)["city_id"]
        student.school_class_id, student.grade_id = unit.id, unit.parent_id
        student.school_id, student.district_id, student.city_id = unit.school_id, unit.district_id, cities[unit.id]
        student.status = Student.Status.ENROLLED
        student.updated_at = now
        if student.pk is None:
            student.created_at = now
            new.append(student)
        else:
            existing.append(student)
    # Writes only, never a read of student data: the scoping layer's door is for queries.
    writer = Student._default_manager
    writer.bulk_create(new)
    if existing:
        writer.bulk_update(existing, [*dict.fromkeys([*fields, *bulk.PLACEMENT, "status", "updated_at"])])
    created = {id(student) for student in new}
    _write_history([(row.student.pk, row.school_class.id, row.reason, id(row.student) in created) for row in rows],
                   on=on)
    if existing:
        committee.end_departed(on=on, student_ids=[student.pk for student in existing])


@transaction.atomic
def student_place(*, student: Student, school_class: OrgUnit, on: date, reason: str) -> Enrollment:
    """Move a student into a class from `on`: closes the open enrollment, opens a new one, and updates the
    placement columns so the new school's staff see the student and the old school's no longer do. A
    placement into the student's own class changes nothing in the history. Saved through the model, so the
    change is in the audit log."""
    for field, value in placement_fields(school_class).items():
        setattr(student, field, value)
    student.status = Student.Status.ENROLLED
    student.save()
    _write_history([(student.pk, school_class.id, reason, False)], on=on)
    committee.end_departed(on=on, student_ids=[student.pk])
    return Enrollment.objects.filter(student=student, ended_on__isnull=True).order_by("-id").first()


@transaction.atomic
def students_move(*, moves: QuerySet, on: date, starts_on: date | None = None, reason: str) -> int:
    """The set-based place_students, for the school-year rollover: `moves` is a values_list query of
    (student id, class id) pairs, chosen by the caller (who may see those students); each student's
    placement columns follow the class, their open enrollment ends on `on` and a new one starts on
    `starts_on`, both with `reason`. Returns how many students moved. No per-student statement."""
    sql, params = moves.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        bulk.stage(cursor)
        moved = bulk.stage_query(cursor, f"SELECT q.*, %s, false FROM ({sql}) q", [reason, *params])  # noqa: S608
        bulk.place_staged(cursor, on=on, starts_on=starts_on, now=timezone.now())
        bulk.unstage(cursor)
    committee.end_departed(on=on)
    return moved


def _end_open(student_ids, *, on: date, reason: str) -> None:
    Enrollment.objects.filter(ended_on__isnull=True, student_id__in=student_ids).update(ended_on=on, end_reason=reason)


@transaction.atomic
def students_graduate(*, students: QuerySet, on: date) -> int:
    """student_graduate for many (the rollover's top grade): one UPDATE each for the history and the status."""
    _end_open(students.values("id"), on=on, reason="graduated")
    graduated = students.update(status=Student.Status.GRADUATED, updated_at=timezone.now())
    committee.end_departed(on=on)
    return graduated


@transaction.atomic
def student_graduate(*, student: Student, on: date) -> None:
    """Graduation keeps the last placement (the school keeps the file until archiving) and ends enrollment."""
    _end_open([student.pk], on=on, reason="graduated")
    student.status = Student.Status.GRADUATED
    student.save(update_fields=["status", "updated_at"])
    committee.end_departed(on=on, student_ids=[student.pk])


@transaction.atomic
def students_follow_classes(*, classes: QuerySet) -> int:
    """After the region tree moved classes (a class to another grade, a school to another district): the
    placement columns of every student placed in those classes (a values("id") query of class units) follow
    the classes' new ancestry, in one UPDATE. The class is the same class, so the enrollment history stays.
    Returns how many students were updated."""
    sql, params = classes.order_by().query.sql_with_params()
    columns = ", ".join(bulk.PLACEMENT)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE people_student SET ({columns}, updated_at) = "  # noqa: S608 (module constants only)
            f"(SELECT {bulk.placement_sql('c')}, %s FROM org_orgunit c WHERE c.id = people_student.school_class_id) "
            f"WHERE school_class_id IN ({sql})",
            [timezone.now(), *params],
        )
        return cursor.rowcount

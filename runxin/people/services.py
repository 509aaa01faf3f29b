"""Writes about students: placing them in classes (with history), transfers and graduation."""

from datetime import date

from django.db import transaction

from runxin.org.models import OrgUnit

from .models import Enrollment, Student


def placement_fields(school_class: OrgUnit) -> dict:
    """The denormalised placement columns for a student in this class."""
    school = school_class.school
    return {
        "school_class_id": school_class.id,
        "grade_id": school_class.parent_id,
        "school_id": school_class.school_id,
        "district_id": school_class.district_id,
        "city_id": school.parent.parent_id if school is not None else None,
    }


@transaction.atomic
def student_place(*, student: Student, school_class: OrgUnit, on: date, reason: str) -> Enrollment:
    """Move a student into a class from `on`: closes the open enrollment, opens a new one, and updates the
    placement columns so the new school's staff see the student and the old school's no longer do."""
    Enrollment.objects.filter(student=student, ended_on__isnull=True).update(ended_on=on, end_reason=reason)
    for field, value in placement_fields(school_class).items():
        setattr(student, field, value)
    student.status = Student.Status.ENROLLED
    student.save()
    return Enrollment.objects.create(
        student=student, school_class=school_class, school_id=school_class.school_id,
        school_year_id=school_class.school_year_id, started_on=on, reason=reason,
    )


@transaction.atomic
def student_graduate(*, student: Student, on: date) -> None:
    """Graduation keeps the last placement (the school keeps the file until archiving) and ends enrollment."""
    Enrollment.objects.filter(student=student, ended_on__isnull=True).update(ended_on=on, end_reason="graduated")
    student.status = Student.Status.GRADUATED
    student.save(update_fields=["status", "updated_at"])

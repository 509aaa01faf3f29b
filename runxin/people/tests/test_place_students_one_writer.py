"""people is the one writer of enrollment rows and of a student's placement columns (issue 10, "one owner per
table"): people.services and people.bulk hold the rules; the roster import (ORM and COPY paths) and the
school-year rollover call them. Any other module that writes either must be listed here with its reason, so a
second writer — a rule changed in one place and not in the others — fails the build."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ALLOWED = {
    "people/services.py": "the bulk service place_students, student_place, students_move, graduation",
    "people/bulk.py": "the set-based rules (placement, closing and opening enrollments) for the bulk paths",
}

_PLACEMENT = r"(school_class|grade|school|district|city)(_id)?"
# Every way Django or SQL writes an enrollment row, a student row with its placement, or placement columns.
_WRITES = re.compile(
    r"Enrollment\.objects\.(create|get_or_create|update_or_create|bulk_create|bulk_update)\b"
    r"|Enrollment\.objects\.[^\n]*\.(update|delete)\("
    r"|\bEnrollment\s*\("  # an instance to save() or bulk_create
    r"|Enrollment\._meta\.db_table"
    r"|write\(\s*(Enrollment|Student)\b"  # the demo generator's COPY writer
    r"|(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+\S*people_enrollment\b"
    r"|(INSERT\s+INTO|COPY)\s+\S*people_student\b"
    r"|UPDATE\s+\S*people_student\b[^;\"]*?\bSET\b[^;\"]*?(\b" + _PLACEMENT + r"\s*=|\(\s*" + _PLACEMENT + r"\b)"
    r"|Student\.objects\.(create|get_or_create|update_or_create|bulk_create|bulk_update)\b"
    r"|(Student\.objects|\w*students?)\b[^\n]*\.update\([^)]*\b" + _PLACEMENT + r"\s*="
    r"|\bbulk_update\([^)]*\b" + _PLACEMENT + r"\b",
    re.IGNORECASE,
)


def writers() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if ("/tests/" in f"/{relative}" or "/migrations/" in relative or relative.startswith("testing/")
                or path.name.startswith("test_") or path.name == "conftest.py"):
            continue
        text = path.read_text(encoding="utf-8")
        text = text.replace("class Enrollment(", "")  # the model itself is not a write
        if _WRITES.search(text):
            found.add(relative)
    return found


def test_only_people_writes_enrollments_and_placement():
    offenders = writers() - set(ALLOWED)
    assert offenders == set(), (
        f"place students through runxin.people.services (place_students, students_move) or people.bulk, "
        f"or justify in ALLOWED: {offenders}")


def test_the_list_holds_no_stale_entry():
    assert set(ALLOWED) <= writers(), "remove modules that no longer write enrollments or placement from ALLOWED"


def test_the_pattern_catches_the_ways_the_old_writers_wrote():
    # Each line is how imports/roster.py, imports/bulk.py or org/rollover.py wrote before issue 10.
    for line in (
        "Enrollment.objects.bulk_create(enrollments)",
        "Enrollment.objects.filter(student=student, ended_on__isnull=True).update(ended_on=p.today)",
        "enrollments.append(Enrollment(student=s, school_class_id=s.school_class_id))",
        'cursor.execute(f"INSERT INTO {Enrollment._meta.db_table} (student_id) SELECT …")',
        "INSERT INTO people_enrollment (student_id, school_class_id) SELECT …",
        "UPDATE people_enrollment e SET ended_on = %(today)s",
        "INSERT INTO people_student AS st (student_number, name, school_class_id) SELECT …",
        "promoted = promoted_students.update(school_class_id=_successor('school_class_id'))",
        "Student.objects.filter(pk=1).update(school_id=5)",
        "UPDATE people_student SET school_class_id = %s WHERE id = %s",
        "UPDATE people_student SET (school_class_id, grade_id) = (SELECT …)",
        "Student.objects.bulk_update(changed, [*_COMPARED, 'updated_at'])",
        "write(Enrollment, ['student_id'], rows)",
    ):
        assert _WRITES.search(line), line
    # Reads, and writes of other columns, are not placement writes.
    for line in (
        "Enrollment.objects.filter(student=s).count()",
        "Student.objects.filter(school_class_id=5).values_list('id')",
        "UPDATE people_student SET updated_at = %(now)s WHERE id = ANY(ARRAY(SELECT m.student_id …))",
        "CampaignTarget.objects.filter(campaign=c).update(finished_at=now)",
        "students.update(status='graduated', updated_at=now)",
    ):
        assert not _WRITES.search(line), line

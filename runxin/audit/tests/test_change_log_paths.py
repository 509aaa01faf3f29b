"""The change audit of the paths that really write, as production takes them (not a model saved by hand).

* Staff pages (end a role, deactivate an account) save through the model: field-level entries with the
  acting user and the address.
* The roster import and the school-year rollover write in bulk, without model signals. What the audit
  holds for them is written down here as it is today: the import leaves one entry on its batch with the
  counts; the rollover leaves its own record (SchoolRollover) and nothing in the change log.
"""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from runxin.imports import services as imports
from runxin.imports.models import ImportBatch
from runxin.imports.tests.helpers import student_row, write_csv
from runxin.org import rollover
from runxin.org.models import SchoolRollover
from runxin.people import services as people
from runxin.people.models import Enrollment, RoleAssignment, Student

pytestmark = pytest.mark.django_db


def entries_for(model, pk):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_pk=str(pk))


def test_ending_a_role_on_the_staff_page_is_a_field_change_by_that_administrator(world, client_for):
    assignment = RoleAssignment.objects.get(user=world.head)
    response = client_for(world.secadmin).post(
        reverse("accounts:assignment_end", args=[world.head.pk, assignment.pk]), REMOTE_ADDR="10.6.6.6")
    assert response.status_code == 302
    entry = entries_for(RoleAssignment, assignment.pk).get(action=LogEntry.Action.UPDATE)
    assert (entry.actor, entry.remote_addr) == (world.secadmin, "10.6.6.6")
    assert entry.changes_dict["is_active"] == ["True", "False"]
    assert entry.changes_dict["ends_on"][1] == str(RoleAssignment.objects.get(pk=assignment.pk).ends_on)


def test_a_transfer_through_the_people_service_records_the_new_class(world):
    people.student_place(student=world.a1, school_class=world.other_class, on=dt.date(2026, 11, 1),
                         reason="transferred_in")
    entry = entries_for(Student, world.a1.pk).get(action=LogEntry.Action.UPDATE)
    assert entry.changes_dict["school_class"] == [str(world.class1.pk), str(world.other_class.pk)]
    assert entry.changes_dict["school"] == [str(world.school.pk), str(world.other_school.pk)]
    enrollments = entries_for(Enrollment, world.a1.enrollments.get(ended_on__isnull=True).pk)
    assert not enrollments.exists()  # the history rows are written in bulk: no entry of their own


@pytest.mark.parametrize("engine", ["sql", "orm"])
def test_a_roster_import_is_audited_as_its_batch_with_the_counts_not_per_student(world, tmp_path, settings, engine):
    settings.MEDIA_ROOT = tmp_path / "media"

    def import_file(rows, name):
        path = write_csv(tmp_path / name, rows)
        batch = imports.batch_create(user=world.psych, school=world.school, kind="students", upload=path,
                                     original_name=name, remote_addr="10.7.7.7")
        imports.batch_preview(batch=batch, engine=engine)
        assert imports.batch_claim_commit(batch=batch, user=world.psych, mode="valid")
        return imports.batch_commit(batch=batch, user=world.psych, mode="valid", engine=engine)

    import_file([student_row(1, name="周一"), student_row(2, name="吴二")], "first.csv")
    student = Student.objects.get(name="周一")
    batch = import_file([student_row(1, name="周一", klass="七年级(2)班"), student_row(2, name="吴二")],
                        "second.csv")
    student.refresh_from_db()
    assert student.school_class.name == "七年级(2)班" and batch.status == ImportBatch.Status.IMPORTED
    # What the auditor finds: one entry on the batch, by the importer, from the address, with the counts.
    entry = entries_for(ImportBatch, batch.pk).get()
    assert (entry.actor, entry.remote_addr, entry.action) == (world.psych, "10.7.7.7", LogEntry.Action.CREATE)
    assert entry.changes_dict["school"] == ["", "东区第一中学"]
    assert {key: entry.changes_dict[key][1] for key in ("created", "updated", "unchanged", "rejected")} == {
        "created": "0", "updated": "1", "unchanged": "1", "rejected": "0"}
    assert "second.csv" in entry.changes_dict["import"][1]
    # Today nothing more: the student's new class is in the enrollment history, not in the change log.
    assert not entries_for(Student, student.pk).exists()
    history = list(student.enrollments.order_by("id").values_list("school_class__name", "ended_on"))
    assert [name for name, _ended in history] == ["七年级(1)班", "七年级(2)班"]
    assert history[0][1] is not None and history[1][1] is None


def test_a_rollover_leaves_its_own_record_and_nothing_in_the_change_log(world):
    to_year = rollover.next_year_get_or_create(world.year)
    before = LogEntry.objects.filter(
        content_type__in=ContentType.objects.get_for_models(Student, Enrollment).values()).count()
    rollover.apply_school(school=world.school, from_year=world.year, to_year=to_year, user=world.leader)
    world.a1.refresh_from_db()
    assert world.a1.school_class.name == "八年级(1)班"
    record = SchoolRollover.objects.get(school=world.school, to_year=to_year)
    assert (record.applied_by, record.promoted, record.graduated) == (world.leader, 3, 0)
    # Documented as it is: 3 students moved class, and the change log holds no entry for them or their history.
    after = LogEntry.objects.filter(
        content_type__in=ContentType.objects.get_for_models(Student, Enrollment).values()).count()
    assert after == before

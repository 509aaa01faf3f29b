"""One change in full: each field before and after, with student personal data withheld."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from runxin.people.models import Student
from runxin.people.services import student_place

pytestmark = pytest.mark.django_db


def latest(model, pk, action=LogEntry.Action.UPDATE):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_pk=str(pk),
                                   action=action).latest("timestamp")


def test_placement_change_shows_before_and_after_with_unit_names(world, client_for):
    import datetime as dt

    student_place(student=world.a1, school_class=world.class2, on=dt.date(2026, 11, 1), reason="class_changed")
    entry = latest(Student, world.a1.pk)
    response = client_for(world.auditor).get(reverse("audit:change_detail", args=[entry.pk]))
    assert response.status_code == 200
    fields = {f.name: f for f in response.context["detail"].fields}
    assert fields["school_class"].before == f"{world.class1.name} (#{world.class1.pk})"
    assert fields["school_class"].after == f"{world.class2.name} (#{world.class2.pk})"
    body = response.content.decode()
    # Issue 9: the auditor sees a stable pseudonym, neither the name nor the 学籍号 (it carries the ID number).
    from runxin.audit.selectors import pseudonym

    assert pseudonym("student", world.a1.pk) in body
    assert world.a1.student_number not in body and "张一" not in body


def test_personal_fields_are_withheld(world, client_for):
    world.a1.name = "张一一"
    world.a1.id_number = "320500201305030011"
    world.a1.save()
    entry = latest(Student, world.a1.pk)
    response = client_for(world.auditor).get(reverse("audit:change_detail", args=[entry.pk]))
    fields = {f.name: f for f in response.context["detail"].fields}
    assert fields["name"].withheld and fields["id_number"].withheld
    body = response.content.decode()
    for secret in ("张一", "320500201305030011"):
        assert secret not in body
    assert (fields["name"].before, fields["name"].after) == ("", "")


def test_role_assignment_change_shows_values(world, client_for):
    from runxin.people.models import RoleAssignment

    assignment = RoleAssignment.objects.get(user=world.head)
    # Ended the way production ends a role: the security administrator's staff page (accounts.services).
    client_for(world.secadmin).post(reverse("accounts:assignment_end", args=[world.head.pk, assignment.pk]))
    ended_on = RoleAssignment.objects.get(pk=assignment.pk).ends_on
    entry = latest(RoleAssignment, assignment.pk)
    detail = client_for(world.auditor).get(reverse("audit:change_detail", args=[entry.pk]),
                                           HTTP_ACCEPT_LANGUAGE="en").context["detail"]
    assert {(f.name, f.before, f.after) for f in detail.fields} == {
        ("is_active", "yes", "no"), ("ends_on", "—", ended_on.isoformat())}


def test_choice_values_show_their_labels(world, client_for):
    import datetime as dt

    from runxin.people.services import student_graduate

    student_graduate(student=world.a1, on=dt.date(2027, 6, 30))  # the people service, not a hand-made save
    entry = latest(Student, world.a1.pk)
    response = client_for(world.auditor).get(reverse("audit:change_detail", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en")
    status = {f.name: f for f in response.context["detail"].fields}["status"]
    assert (status.before, status.after) == ("Enrolled", "Graduated")


def test_import_batch_style_event_appears_with_its_details(world, client_for):
    from runxin import audit

    entry = audit.record_event(world.school, action="update", changes={"roster_import": ["", "312 rows"]},
                               actor=world.psych, additional_data={"batch": "42", "rows": "312"})
    client = client_for(world.auditor)
    found = client.get("/audit/", {"action": "update"}).context["page"].rows
    assert entry.pk in [row.entry_id for row in found]
    body = client.get(reverse("audit:change_detail", args=[entry.pk])).content.decode()
    assert "312 rows" in body and "batch" in body


def test_unknown_entry_is_404(world, client_for):
    assert client_for(world.auditor).get(reverse("audit:change_detail", args=[10**9])).status_code == 404

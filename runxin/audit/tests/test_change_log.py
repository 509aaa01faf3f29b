"""Registered models leave field-level change events, with the acting user and address from the request."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from runxin import audit
from runxin.accounts.models import User
from runxin.people.models import Guardian
from runxin.people.services import student_graduate

pytestmark = pytest.mark.django_db


def entries_for(instance):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(instance), object_pk=str(instance.pk))


def test_student_update_records_field_before_and_after(world):
    # Through the people service (graduation); the bulk paths (import, rollover) are in test_change_log_paths.
    student_graduate(student=world.a1, on=dt.date(2027, 6, 30))
    entry = entries_for(world.a1).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict == {"status": ["enrolled", "graduated"]}  # updated_at is excluded: every save has it


def test_create_and_delete_are_recorded_with_the_row(world):
    guardian = Guardian.objects.create(student=world.b1, position=2, name="王父", relation="父亲", phone="13700000000")
    created = entries_for(guardian).get(action=LogEntry.Action.CREATE)
    assert created.serialized_data["fields"]["student"] == world.b1.pk
    guardian_pk = guardian.pk
    guardian.delete()
    deleted = LogEntry.objects.get(content_type=created.content_type, object_pk=str(guardian_pk),
                                   action=LogEntry.Action.DELETE)
    assert deleted.changes_dict["phone"][0] == "13700000000"


def test_password_hash_and_last_login_are_never_in_the_audit(world):
    user = User.objects.get(pk=world.psych.pk)
    user.set_password("Another-Pass-2026!")
    user.display_name = "心理老师"
    user.save()
    entry = entries_for(user).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert set(entry.changes_dict) == {"display_name"}
    created = entries_for(user).get(action=LogEntry.Action.CREATE)
    assert "password" not in created.changes_dict and "password" not in created.serialized_data["fields"]
    assert "last_login" not in created.serialized_data["fields"]


def test_change_through_a_request_records_actor_and_address(world, client_for):
    from runxin.access.models import BreakGlassGrant

    client = client_for(world.other_psych)
    response = client.post("/access/break-glass/", {"student_number": world.a1.student_number,
                                                    "reason": "Crisis call from the student's mother tonight"},
                           REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302
    grant = BreakGlassGrant.objects.get()
    entry = entries_for(grant).get()
    assert (entry.actor, entry.remote_addr) == (world.other_psych, "10.9.8.7")


def test_a_forged_forwarded_header_is_not_the_recorded_address(world, client_for):
    client = client_for(world.other_psych)
    client.post("/access/break-glass/", {"student_number": world.a1.student_number,
                                         "reason": "Crisis call from the student's mother tonight"},
                REMOTE_ADDR="10.9.8.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert LogEntry.objects.filter(remote_addr="1.2.3.4").count() == 0
    assert LogEntry.objects.filter(remote_addr="10.9.8.7").exists()


def test_record_event_for_changes_without_a_save(world):
    entry = audit.record_event(world.psych, action="update", changes={"second_factor": ["set up", "reset"]},
                               actor=world.secadmin, remote_addr="10.0.0.1")
    assert entry.actor == world.secadmin and entry.changes_dict == {"second_factor": ["set up", "reset"]}
    with pytest.raises(ValueError):
        audit.record_event(world.psych, action="rename", changes={})


def test_other_apps_register_in_one_line(world):
    from runxin.audit.registry import spec_for

    spec = spec_for("people.groupmembership")
    assert spec.student_field == "student" and spec.withholds("group") and not spec.withholds("student")
    assert spec_for("org.orgunit").is_student_data is False

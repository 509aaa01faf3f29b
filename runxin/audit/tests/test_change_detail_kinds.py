"""Every kind of change entry opens: an account created through the real service (auditlog lists the user's
reverse relations in a create entry, which once made the page 500), a deletion, an m2m change, an entry whose
record is gone, and one whose model no longer exists."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from runxin.accounts import services
from runxin.accounts.models import User

pytestmark = pytest.mark.django_db


def entry_for(model, pk, action):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_pk=str(pk),
                                   action=action).latest("timestamp")


def open_entry(client, entry):
    response = client.get(reverse("audit:change_detail", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


@pytest.fixture
def new_teacher(world):
    user, _password = services.staff_create(actor=world.secadmin, username="newt", display_name="新老师",
                                            role="psych_teacher", unit=world.school)
    return user


def test_account_creation_entry_opens_with_the_new_account_values(world, client_for, new_teacher):
    entry = entry_for(User, new_teacher.pk, LogEntry.Action.CREATE)
    response = open_entry(client_for(world.auditor), entry)
    fields = {f.name: f for f in response.context["detail"].fields}
    assert fields["username"].after == "newt"
    assert fields["display_name"].after == "新老师"
    assert fields["must_change_password"].after == "yes"
    # The reverse relations auditlog lists with a placeholder value are not shown.
    assert not {"mentees", "role_assignments", "guardianships", "notifications"} & set(fields)
    body = response.content.decode()
    assert "Created" in body and "newt" in body
    assert ".None" not in body and "password" not in fields


def test_account_creation_appears_in_the_search_and_links_to_its_page(world, client_for, new_teacher):
    client = client_for(world.auditor)
    rows = client.get("/audit/", {"action": "create"}).context["page"].rows
    entry = entry_for(User, new_teacher.pk, LogEntry.Action.CREATE)
    assert entry.pk in [row.entry_id for row in rows]


def test_deleted_account_entry_opens_although_the_record_is_gone(world, client_for, new_teacher):
    pk = new_teacher.pk
    new_teacher.role_assignments.all().delete()
    new_teacher.delete()
    assert not User.objects.filter(pk=pk).exists()
    entry = entry_for(User, pk, LogEntry.Action.DELETE)
    response = open_entry(client_for(world.auditor), entry)
    detail = response.context["detail"]
    assert detail.kind == "delete"
    assert {f.name: f.before for f in detail.fields}["username"] == "newt"
    assert "Deleted" in response.content.decode()
    # The create entry of the vanished account still opens too.
    open_entry(client_for(world.auditor), entry_for(User, pk, LogEntry.Action.CREATE))


def test_m2m_change_entry_opens(world, client_for):
    entry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User), object_pk=str(world.head.pk), object_id=world.head.pk,
        object_repr="head", action=LogEntry.Action.UPDATE,
        changes={"groups": {"type": "m2m", "operation": "add", "objects": ["teachers"]}},
    )
    response = open_entry(client_for(world.auditor), entry)
    [change] = response.context["detail"].fields
    assert change.name == "groups" and "teachers" in change.after


def test_entry_of_a_model_that_no_longer_exists_opens(world, client_for):
    gone = ContentType.objects.create(app_label="retired", model="thing")
    entry = LogEntry.objects.create(content_type=gone, object_pk="7", object_id=7, object_repr="old thing",
                                    action=LogEntry.Action.UPDATE, changes={"colour": ["red", "blue"]})
    response = open_entry(client_for(world.auditor), entry)
    assert [(f.label, f.before, f.after) for f in response.context["detail"].fields] == [("colour", "red", "blue")]


def test_unit_creation_entry_opens(world, client_for):
    from runxin.org.models import OrgUnit

    entry = entry_for(OrgUnit, world.school.pk, LogEntry.Action.CREATE)
    response = open_entry(client_for(world.auditor), entry)
    assert {f.name: f.after for f in response.context["detail"].fields}["name"] == "东区第一中学"

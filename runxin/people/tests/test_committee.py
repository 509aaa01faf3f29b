"""Class psych committee members (心理委员): the head teacher appoints from the class, the policy caps the seats,
the role comes and goes with the appointment, and a member who leaves the class loses it the same day."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from runxin.access import scope
from runxin.people import committee, services
from runxin.people.models import CommitteeAppointment, RoleAssignment
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]



def account(student):
    """The student's own account (张一 has one in the world; others get one here)."""
    existing = committee.student_account(student)
    if existing is not None:
        return existing
    user = f.UserFactory(username=f"s_{student.pk}")
    f.assign(user, "student", student.school_class, student)
    return user


def holds_committee_role(user) -> bool:
    scope.forget(user)
    return "psych_committee" in scope.role_codes(user)


def appoint(client, world, student):
    return client.post(reverse("people:committee_appoint", args=[world.class1.pk]), {"student": student.pk},
                       follow=True)


def test_head_teacher_appoints_and_the_role_follows(world, client_for):
    user = account(world.a1)
    client = client_for(world.head)
    response = appoint(client, world, world.a1)
    assert response.status_code == 200
    body = response.content.decode()
    assert "张一" in body and "is now a class psych committee member" in body
    appointment = CommitteeAppointment.objects.get(student=world.a1, ended_on__isnull=True)
    assert appointment.school_class == world.class1 and appointment.appointed_by == world.head
    assert holds_committee_role(user)
    # The peer-report page opens for the new member.
    assert client_for(user).get(reverse("alerts:peer_report")).status_code == 200
    # The appointment is in the change audit.
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(CommitteeAppointment),
                                   object_pk=str(appointment.pk)).exists()

    response = client.post(reverse("people:committee_end", args=[world.class1.pk]),
                           {"appointment": appointment.pk}, follow=True)
    assert "is no longer a class psych committee member" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.ended_on == timezone.localdate() and appointment.ended_by == world.head
    assert not holds_committee_role(user)
    assert client_for(user).get(reverse("alerts:peer_report")).status_code == 403


def test_appointing_over_the_limit_is_refused_with_a_clear_message(world, client_for, settings):
    settings.COMMITTEE_MEMBERS_PER_CLASS = 1
    account(world.a1)
    second = account(world.a2)
    client = client_for(world.head)
    appoint(client, world, world.a1)
    body = appoint(client, world, world.a2).content.decode()
    assert "already has 1 class psych committee member, the most a class may have" in body
    assert not CommitteeAppointment.objects.filter(student=world.a2).exists()
    assert not RoleAssignment.objects.filter(user=second, role="psych_committee").exists()


def test_seats_shared_between_boys_and_girls(world, settings):
    settings.COMMITTEE_SEATS_BY_SEX = True
    boy = f.StudentFactory(name="男一", sex="M", school_class=world.class1)
    boy2 = f.StudentFactory(name="男二", sex="M", school_class=world.class1)
    account(boy), account(boy2)
    committee.committee_appoint(actor=world.head, school_class=world.class1, student=boy)
    with pytest.raises(committee.CommitteeRefused, match="shared between boys and girls"):
        committee.committee_appoint(actor=world.head, school_class=world.class1, student=boy2)


def test_refusals_say_why(world):
    with pytest.raises(committee.CommitteeRefused, match="no student account yet"):
        committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a2)
    account(world.b1)
    with pytest.raises(committee.CommitteeRefused, match="not an enrolled student of"):
        committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.b1)
    account(world.a1)
    committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a1)
    with pytest.raises(committee.CommitteeRefused, match="already a class psych committee member"):
        committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a1)


def test_a_member_who_transfers_loses_the_role_the_same_day(world):
    user = account(world.a1)
    committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a1)
    assert holds_committee_role(user)
    today = timezone.localdate()
    services.student_place(student=world.a1, school_class=world.class2, on=today, reason="class_changed")
    appointment = CommitteeAppointment.objects.get(student=world.a1)
    assert appointment.ended_on == today and appointment.end_reason == committee.LEFT_THE_CLASS
    assert not holds_committee_role(user)


def test_a_graduating_member_loses_the_role(world):
    user = account(world.a1)
    committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a1)
    services.students_graduate(students=scope.students_under(world.class1), on=timezone.localdate())
    assert CommitteeAppointment.objects.get(student=world.a1).ended_on == timezone.localdate()
    assert not holds_committee_role(user)


def test_staying_in_the_class_keeps_the_appointment(world):
    account(world.a1)
    committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a1)
    services.student_place(student=world.a1, school_class=world.class1, on=timezone.localdate(), reason="imported")
    assert CommitteeAppointment.objects.get(student=world.a1).ended_on is None


def test_other_head_teachers_and_other_roles_cannot_appoint(world, client_for):
    account(world.a1)
    other_head = f.UserFactory(username="head2")
    f.assign(other_head, "head_teacher", world.class2)
    url = reverse("people:class_committee", args=[world.class1.pk])
    assert client_for(world.head).get(url).status_code == 200
    assert client_for(other_head).get(url).status_code == 404
    assert appoint(client_for(other_head), world, world.a1).status_code == 404
    for user in (world.psych, world.mentor, world.committee, world.student_user, world.outsider):
        assert client_for(user).get(url).status_code == 403
        assert appoint(client_for(user), world, world.a1).status_code == 403
    assert not CommitteeAppointment.objects.exists()


def test_the_class_page_lists_candidates_and_members(world, client_for):
    account(world.a1)
    committee.committee_appoint(actor=world.head, school_class=world.class1, student=world.a1)
    body = client_for(world.head).get(reverse("people:class_committee", args=[world.class1.pk])).content.decode()
    members, appoint_form = body.split('id="members"')[1].split('id="committee-student"')
    assert "张一" in members and "李二" not in members
    assert "李二" in appoint_form and "王三" not in body

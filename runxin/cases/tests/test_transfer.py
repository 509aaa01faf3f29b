"""Transfer (issue 12, item 7): when the roster places a student with an open plan at another school, the plan
moves to the new school's team (a psychology teacher becomes the lead), the move is audited, the new school is told,
the old team loses the student and the new one gains them; the new lead accepts the case."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from runxin.cases import tasks, transfer
from runxin.cases.models import CasePlan, CaseTransfer
from runxin.notify.models import Notification
from runxin.people import services as people_services
from runxin.people.models import Enrollment
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def open_plan(world, student=None):
    return CasePlan.objects.create(student=student or world.a1, school=world.school, opened_at=timezone.now(),
                                   opened_by=world.psych, lead=world.psych, mentor=world.mentor)


def move(student, school_class):
    people_services.place_students([people_services.Placing(student, school_class, Enrollment.Reason.TRANSFERRED_IN)],
                                   on=timezone.localdate())
    student.refresh_from_db()


def test_plan_follows_the_student_and_access_moves_with_it(world, client_for):
    plan = open_plan(world)
    old_psych, new_psych = client_for(world.psych), client_for(world.other_psych)
    student_page = reverse("people:student_detail", kwargs={"student_id": world.a1.pk})
    contact_page = reverse("cases:mentor_contact_new", kwargs={"student_id": world.a1.pk})
    assert old_psych.get(student_page).status_code == 200
    assert new_psych.get(student_page).status_code == 404

    move(world.a1, world.other_class)
    assert tasks.plans_follow_students() == {"moved": 1}

    plan.refresh_from_db()
    assert (plan.school, plan.lead, plan.mentor) == (world.other_school, world.other_psych, None)
    moved = CaseTransfer.objects.get()
    assert (moved.plan, moved.student, moved.from_school, moved.to_school, moved.new_lead, moved.accepted_at) == (
        plan, world.a1, world.school, world.other_school, world.other_psych, None)
    # Audited: the transfer row and the plan's new school are in the change log, linked to the student.
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(CaseTransfer),
                                   object_pk=str(moved.pk), action=LogEntry.Action.CREATE).exists()
    change = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(CasePlan), object_pk=str(plan.pk),
                                     action=LogEntry.Action.UPDATE).latest("pk")
    assert "school" in change.changes_dict and "lead" in change.changes_dict
    # The new team is told, the old is not.
    told = Notification.objects.filter(kind="case_transfer")
    assert set(told.values_list("recipient_id", flat=True)) == {world.other_psych.pk}
    assert world.a1.name not in told.get().subject + told.get().body  # no name in the notice itself
    # Access follows the placement: the old psychology teacher is refused, the new one sees the student.
    assert old_psych.get(student_page).status_code == 404
    assert old_psych.get(contact_page).status_code == 404
    assert new_psych.get(student_page).status_code == 200
    assert new_psych.get(contact_page).status_code == 200
    # Nothing more to move: the sweep is idempotent.
    assert transfer.plans_follow_students() == 0


def test_new_lead_accepts_and_the_old_school_sees_the_move_without_the_name(world, client_for):
    open_plan(world)
    move(world.a1, world.other_class)
    transfer.plans_follow_students()
    moved = CaseTransfer.objects.get()
    new_page = client_for(world.other_psych).get(reverse("cases:transfers")).content.decode()
    assert world.a1.name in new_page and "Accept the case" in new_page
    old_page = client_for(world.psych).get(reverse("cases:transfers")).content.decode()
    assert world.a1.name not in old_page and "moved out of your reach" in old_page and "Accept the case" not in old_page
    # The old school cannot accept it; the new lead can.
    client_for(world.psych).post(reverse("cases:transfers"), {"transfer": moved.pk})
    moved.refresh_from_db()
    assert moved.accepted_at is None
    response = client_for(world.other_psych).post(reverse("cases:transfers"), {"transfer": moved.pk})
    assert response.status_code == 302
    moved.refresh_from_db()
    assert moved.accepted_by == world.other_psych and moved.accepted_at is not None
    with pytest.raises(transfer.TransferError):
        transfer.transfer_accept(actor=world.other_psych, transfer=moved)


def test_without_a_psychology_teacher_the_leader_is_told_and_leads_on_accepting(world, client_for):
    plan = open_plan(world)
    school3 = f.school(world.east, "东区第三中学", "S-E3")
    class3 = f.school_class(school3, 7, 1, world.year)
    leader3 = f.UserFactory(username="leader3")
    f.assign(leader3, "school_leader", school3)
    move(world.a1, class3)
    transfer.plans_follow_students()
    plan.refresh_from_db()
    moved = CaseTransfer.objects.get()
    assert plan.school == school3 and plan.lead == world.psych and moved.new_lead is None  # flagged, not guessed
    notice = Notification.objects.get(kind="case_transfer")
    assert notice.recipient == leader3 and "no psychology teacher" in notice.body
    page = client_for(leader3).get(reverse("cases:transfers")).content.decode()
    assert "no psychology teacher" in page and "Accept the case" in page
    transfer.transfer_accept(actor=leader3, transfer=moved)
    plan.refresh_from_db()
    moved.refresh_from_db()
    assert plan.lead == leader3 and moved.new_lead == leader3 and moved.accepted_by == leader3


def test_closed_plans_and_students_who_stay_do_not_move(world):
    stays = open_plan(world, world.b1)
    closed = open_plan(world)
    closed.status = CasePlan.Status.CLOSED
    closed.save(update_fields=["status"])
    move(world.a1, world.other_class)
    assert transfer.plans_follow_students() == 0
    stays.refresh_from_db()
    assert stays.school == world.school and not CaseTransfer.objects.exists()


def test_transfers_page_is_for_case_teams(world, client_for):
    for user in (world.head, world.mentor, world.parent, world.city_admin):
        assert client_for(user).get(reverse("cases:transfers")).status_code == 403
    response = client_for(world.psych).post(reverse("cases:transfers"), {"transfer": "999999"})
    assert response.status_code == 302


def test_the_old_mentor_and_the_open_follow_ups_move_away_with_the_case(world):
    from datetime import timedelta

    from runxin.alerts import services as alert_services
    from runxin.alerts.models import FollowUp
    from runxin.people.models import MentorPair

    open_plan(world)
    MentorPair.objects.get_or_create(mentor=world.mentor, student=world.a1, is_active=True,
                                     defaults={"since": timezone.localdate()})
    due = alert_services.follow_up_schedule(student=world.a1, due_on=timezone.localdate() + timedelta(days=3),
                                            origin="plan", assigned_to=world.psych)
    done = alert_services.follow_up_schedule(student=world.a1, due_on=timezone.localdate(), origin="plan",
                                             assigned_to=world.psych)
    FollowUp.objects.filter(pk=done.pk).update(done_at=timezone.now(), done_by=world.psych)
    move(world.a1, world.other_class)
    transfer.plans_follow_students()
    assert not MentorPair.objects.filter(mentor=world.mentor, student=world.a1, is_active=True).exists()
    due.refresh_from_db()
    done.refresh_from_db()
    assert due.assigned_to == world.other_psych  # the new lead has it
    assert done.assigned_to == world.psych  # history stays as it was

"""The team work's entries in the student's file (一人一档): mentor contacts (the note for the writer and the case
team only), the case's transfers, post-incident reviews naming the student (for those who read reviews)."""

import datetime as dt

import pytest
from django.utils import timezone

from runxin.access import scope
from runxin.cases import incidents, mentoring, team_selectors, transfer
from runxin.cases.models import CasePlan
from runxin.people import services as people_services
from runxin.people.models import Enrollment
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def entries(user, student):
    return team_selectors.file_entries(user, student, scope.permissions_for_student(user, student))


def test_contact_entries_follow_the_detail_level(world):
    mentoring.contact_log(actor=world.mentor, student=world.b1, at=timezone.now() - dt.timedelta(hours=1),
                          form="phone", note="谈到考试压力")
    head_b = f.UserFactory(username="head_b", display_name="二班班主任")
    f.assign(head_b, "head_teacher", world.class2)
    for reader, sees_note in ((world.mentor, True), (world.psych, True), (world.leader, True), (head_b, False)):
        [entry] = [e for e in entries(reader, world.b1) if e.kind == "mentor_contact"]
        assert entry.title == "Mentor contact (Phone)" and entry.actor == "mentor"
        assert entry.detail == ("谈到考试压力" if sees_note else ""), reader
    assert entries(world.head, world.b1) == []  # another class's head teacher has no file of 王三
    assert entries(world.other_psych, world.b1) == []


def test_transfer_and_review_entries(world):
    review = incidents.review_create(actor=world.psych, school=world.school, kind="self_harm",
                                     incident_on=timezone.localdate(), student=world.a1)
    CasePlan.objects.create(student=world.a1, school=world.school, opened_at=timezone.now(), opened_by=world.psych,
                            lead=world.psych)
    people_services.place_students([people_services.Placing(world.a1, world.class2, Enrollment.Reason.CLASS_CHANGED)],
                                   on=timezone.localdate())
    school3 = f.school(world.east, "东区第三中学", "S-E3")
    people_services.place_students([people_services.Placing(world.a1, f.school_class(school3, 7, 1, world.year),
                                                            Enrollment.Reason.TRANSFERRED_IN)], on=timezone.localdate())
    world.a1.refresh_from_db()
    transfer.plans_follow_students()
    # The district centre reaches the student at the new school: the file shows the move and the review.
    found = {e.kind: e for e in entries(world.district_centre, world.a1)}
    assert found["transfer"].title == "Case moved from 东区第一中学 to 东区第三中学"
    assert found["transfer"].badges == ("not yet accepted",)
    assert found["incident"].url.endswith(f"/incidents/{review.pk}/")
    # A mentor of the new school sees the move but reads no reviews.
    mentor3 = f.UserFactory(username="mentor3")
    f.assign(mentor3, "mentor", school3)
    from runxin.people.models import MentorPair

    MentorPair.objects.create(mentor=mentor3, student=world.a1, since=timezone.localdate())
    assert {e.kind for e in entries(mentor3, world.a1)} == {"transfer"}

"""Key students (重点学生): categories are data, a marking needs a reason and a review date, it is audited with the
reason withheld, only the care team sees the categories, and Student.is_key_student follows the open markings."""

import datetime as dt
import importlib

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.audit.registry import spec_for
from runxin.people import key_students
from runxin.people.models import KeyStudentCategory, KeyStudentMark

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]



@pytest.fixture(autouse=True)
def six_categories(db):
    """The categories the data migration seeds (a flushed, reused test database has lost them)."""
    from django.apps import apps

    importlib.import_module("runxin.people.migrations.0006_key_student_categories").seed(apps, None)


def soon(days=30):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def psychological():
    return KeyStudentCategory.objects.get(code="psychological")


def mark(world, client, student=None, **data):
    student = student or world.a1
    post = {"category": psychological().pk, "reason": "父母离异后情绪低落", "review_on": soon(), **data}
    return client.post(reverse("people:key_mark", args=[student.pk]), post)


def test_jiaxing_six_categories_are_seeded():
    assert KeyStudentCategory.objects.filter(is_builtin=True).count() == 6


def test_head_teacher_marks_with_reason_and_review_date(world, client_for):
    response = mark(world, client_for(world.head))
    assert response.status_code == 302
    m = KeyStudentMark.objects.get(student=world.a1)
    assert m.marked_by == world.head and m.reason == "父母离异后情绪低落" and m.ended_on is None
    world.a1.refresh_from_db()
    assert world.a1.is_key_student
    # Audited, and the auditor's pages show that a reason was written, not what it says.
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(KeyStudentMark),
                                   object_pk=str(m.pk)).exists()
    assert spec_for("people.keystudentmark").withholds("reason")
    assert spec_for("people.keystudentmark").student_field == "student"
    # The student page shows the category and the reason, and the read is audited.
    body = client_for(world.psych).get(reverse("people:student_detail", args=[world.a1.pk]),
                                       HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "心理问题学生" in body and "父母离异后情绪低落" in body
    assert ReadEvent.objects.filter(user=world.psych, student=world.a1, record_type="student.key_marks").exists()


@pytest.mark.parametrize(("data", "message"), [
    ({"reason": "  "}, "Give the reason for marking this student"),
    ({"review_on": ""}, "Give the date by which this marking is reviewed"),
    ({"review_on": "2026-02-30"}, "Give the date by which this marking is reviewed"),
    ({"review_on": timezone.localdate().isoformat()}, "The review date must be after today"),
    ({"review_on": soon(400)}, "within a year"),
    ({"category": ""}, "Choose one of the key-student categories"),
])
def test_marking_requires_reason_and_review_date(world, client_for, data, message):
    response = mark(world, client_for(world.psych), **data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "父母离异后情绪低落" in body or data.get("reason") == "  "  # the form keeps what was typed
    assert not KeyStudentMark.objects.exists()
    world.a1.refresh_from_db()
    assert not world.a1.is_key_student


def test_second_open_marking_in_a_category_is_refused(world, client_for):
    client = client_for(world.psych)
    mark(world, client)
    response = mark(world, client)
    assert response.status_code == 400 and "is already marked as 心理问题学生" in response.content.decode()


def test_ending_the_last_marking_clears_the_flag_and_keeps_history(world, client_for):
    client = client_for(world.head)
    mark(world, client)
    mark(world, client, category=KeyStudentCategory.objects.get(code="left_behind").pk)
    first, second = KeyStudentMark.objects.order_by("id")
    url = reverse("people:key_end", args=[world.a1.pk])
    client.post(url, {"mark": first.pk, "action": "end"})
    world.a1.refresh_from_db()
    assert world.a1.is_key_student
    client.post(url, {"mark": second.pk, "action": "end"})
    world.a1.refresh_from_db()
    assert not world.a1.is_key_student
    assert KeyStudentMark.objects.filter(ended_on=timezone.localdate(), ended_by=world.head).count() == 2


def test_review_keeps_the_marking_with_a_new_date(world, client_for):
    client = client_for(world.psych)
    mark(world, client, review_on=soon(3))
    m = KeyStudentMark.objects.get()
    client.post(reverse("people:key_end", args=[world.a1.pk]), {"mark": m.pk, "action": "review",
                                                                "review_on": soon(90)})
    m.refresh_from_db()
    assert m.review_on.isoformat() == soon(90) and m.ended_on is None


def test_mentor_peer_and_other_school_staff_cannot_see_or_mark(world, client_for):
    mark(world, client_for(world.head))
    from runxin.people.models import MentorPair  # the world's mentor, paired with 张一 as well

    MentorPair.objects.create(mentor=world.mentor, student=world.a1, since=world.year.starts_on)
    page = reverse("people:student_detail", args=[world.a1.pk])
    mentor_body = client_for(world.mentor).get(page).content.decode()
    assert "张一" in mentor_body and "心理问题学生" not in mentor_body and "父母离异" not in mentor_body
    for user in (world.committee, world.student_user, world.parent, world.other_psych, world.outsider):
        assert client_for(user).get(page).status_code in (403, 404)
    for user in (world.committee, world.student_user, world.parent, world.outsider):
        assert client_for(user).get(reverse("people:key_students")).status_code == 403
    other_school_list = client_for(world.other_psych).get(reverse("people:key_students"), {"show": "all"})
    assert other_school_list.status_code == 200 and "张一" not in other_school_list.content.decode()
    assert client_for(world.mentor).get(reverse("people:key_students")).status_code == 403
    # Marking: a mentor, a school leader (sees, does not mark), the other school's psychology teacher.
    for user, status in ((world.mentor, 403), (world.leader, 403), (world.other_psych, 404), (world.committee, 403)):
        assert mark(world, client_for(user), reason="另一条").status_code == status
    assert KeyStudentMark.objects.count() == 1


def test_due_for_review_list_for_the_psychology_teacher(world, client_for):
    key_students.key_mark(actor=world.head, student=world.a1, category=psychological(), reason="a",
                          review_on=timezone.localdate() + dt.timedelta(days=5))
    key_students.key_mark(actor=world.psych, student=world.b1, category=psychological(), reason="b",
                          review_on=timezone.localdate() + dt.timedelta(days=100))
    other_psych_mark = key_students.key_mark(actor=world.other_psych, student=world.w1, category=psychological(),
                                             reason="c", review_on=timezone.localdate() + dt.timedelta(days=2))
    body = client_for(world.psych).get(reverse("people:key_students")).content.decode()
    assert "张一" in body and "王三" not in body and "赵四" not in body
    body = client_for(world.psych).get(reverse("people:key_students"), {"show": "all"}).content.decode()
    assert "张一" in body and "王三" in body and "赵四" not in body
    assert body.index("张一") < body.index("王三")  # the earliest review first
    assert "王三" not in client_for(world.head).get(reverse("people:key_students"), {"show": "all"}).content.decode()
    assert other_psych_mark.student_id == world.w1.pk


def test_targeted_campaigns_still_read_the_flag(world):
    from runxin.people.models import Student

    key_students.key_mark(actor=world.head, student=world.a1, category=psychological(), reason="a",
                          review_on=timezone.localdate() + dt.timedelta(days=5))
    assert list(Student._default_manager.filter(is_key_student=True)) == [world.a1]


def test_city_admin_edits_categories(world, client_for):
    client = client_for(world.city_admin)
    url = reverse("people:key_categories")
    assert client.post(url, {"name_zh": "家庭变故学生", "name_en": "Family crisis"}).status_code == 302
    added = KeyStudentCategory.objects.get(name_zh="家庭变故学生")
    assert not added.is_builtin and added.is_active
    response = client.post(url, {"name_zh": "家庭变故学生"})
    assert response.status_code == 400 and "exists already" in response.content.decode()
    client.post(url, {"category": added.pk, "name_zh": "家庭变故学生", "name_en": "Family crisis"})  # unchecked
    added.refresh_from_db()
    assert not added.is_active
    with pytest.raises(key_students.KeyStudentRefused, match="Choose one of the key-student categories"):
        key_students.key_mark(actor=world.head, student=world.a1, category=added, reason="x",
                              review_on=timezone.localdate() + dt.timedelta(days=5))
    for user in (world.psych, world.head, world.leader, world.outsider):
        assert client_for(user).get(url).status_code == 403

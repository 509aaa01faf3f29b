"""The student list and student page: access, denial, detail levels, read audit and query counts."""

import pytest
from django.urls import reverse

from runxin.access.models import ReadEvent

pytestmark = pytest.mark.django_db


def test_psych_teacher_lists_the_school(world, client_for):
    response = client_for(world.psych).get(reverse("people:student_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "张一" in body and "王三" in body and "赵四" not in body


def test_head_teacher_lists_own_class(world, client_for):
    body = client_for(world.head).get(reverse("people:student_list")).content.decode()
    assert "张一" in body and "李二" in body and "王三" not in body


def test_search_by_name_prefix_and_number(world, client_for):
    client = client_for(world.psych)
    body = client.get(reverse("people:student_list"), {"q": "王"}).content.decode()
    assert "王三" in body and "张一" not in body
    body = client.get(reverse("people:student_list"), {"q": world.a2.student_number}).content.decode()
    assert "李二" in body and "张一" not in body


def test_filter_by_class_and_group(world, client_for):
    from runxin.people.models import GroupMembership, SpecialGroup

    GroupMembership.objects.create(student=world.b1, group=SpecialGroup.objects.get(code="left_behind_both"))
    client = client_for(world.psych)
    body = client.get(reverse("people:student_list"), {"class": world.class2.pk}).content.decode()
    assert "王三" in body and "张一" not in body
    body = client.get(reverse("people:student_list"), {"group": "left_behind_both"}).content.decode()
    assert "王三" in body and "李二" not in body


@pytest.mark.parametrize("who", ["outsider", "committee", "city_admin", "sysadmin", "auditor", "supervisor"])
def test_roles_without_student_access_are_refused_the_list(world, client_for, who):
    assert client_for(getattr(world, who)).get(reverse("people:student_list")).status_code == 403


def test_another_schools_student_by_id_is_404(world, client_for):
    response = client_for(world.other_psych).get(reverse("people:student_detail", args=[world.a1.pk]))
    assert response.status_code == 404


def test_head_teacher_cannot_open_another_class_student(world, client_for):
    assert client_for(world.head).get(reverse("people:student_detail", args=[world.b1.pk])).status_code == 404


def test_student_page_is_read_audited(world, client_for):
    response = client_for(world.psych).get(reverse("people:student_detail", args=[world.a1.pk]))
    assert response.status_code == 200
    assert world.a1.guardians.first().phone in response.content.decode()
    event = ReadEvent.objects.get()
    assert (event.user, event.student, event.record_type, event.via_break_glass) == (
        world.psych, world.a1, "student.profile", False)


def test_mentor_sees_guardian_contact_but_not_the_id_number(world, client_for):
    from runxin.testing.factories import GuardianFactory

    world.b1.id_number = "11010519491231002X"
    world.b1.save()
    guardian = GuardianFactory(student=world.b1, position=1, phone="13912345678")
    body = client_for(world.mentor).get(reverse("people:student_detail", args=[world.b1.pk])).content.decode()
    assert guardian.name in body and "13912345678" in body
    assert "11010519491231002X" not in body and "110105********002X" in body


def test_head_teacher_sees_masked_id_number_psych_teacher_the_full_one(world, client_for):
    world.a1.id_number = "11010519491231002X"
    world.a1.save()
    url = reverse("people:student_detail", args=[world.a1.pk])
    assert "11010519491231002X" not in client_for(world.head).get(url).content.decode()
    assert "11010519491231002X" in client_for(world.psych).get(url).content.decode()


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(reverse("people:student_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    from runxin.testing.factories import StudentFactory

    extra = [StudentFactory(school_class=world.class1) for _ in range(30)]
    client = client_for(world.psych)
    with django_assert_max_num_queries(13):  # +1: the unread count beside 消息
        response = client.get(reverse("people:student_list"))
    assert response.status_code == 200
    # The budget holds while the page shows every student of the school (33 rows, one page), no other school's.
    body = response.content.decode()
    shown = {student.pk for student in response.context["page"].rows}
    assert shown == {world.a1.pk, world.a2.pk, world.b1.pk, *(student.pk for student in extra)}
    assert all(student.name in body for student in [world.a1, world.a2, world.b1, *extra])
    assert "赵四" not in body

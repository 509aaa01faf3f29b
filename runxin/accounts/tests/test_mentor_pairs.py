"""Mentor pairing (师生结对): school leaders and psychology teachers pair mentors with their school's students."""

import pytest
from django.urls import reverse

from runxin.access import scope
from runxin.people.models import MentorPair

pytestmark = pytest.mark.django_db


def test_psych_teacher_pairs_students_and_the_mentor_then_sees_them(world, client_for):
    client = client_for(world.psych)
    listing = client.get(reverse("accounts:mentor_list"))
    assert listing.status_code == 200 and [m.username for m in listing.context["mentors"]] == ["mentor"]
    url = reverse("accounts:mentor_detail", args=[world.mentor.pk])
    found = client.get(url, {"class": world.class1.pk}).context["candidates"]
    assert {s.name for s in found} == {"张一", "李二"}
    response = client.post(reverse("accounts:mentor_pair_add", args=[world.mentor.pk]),
                           {"student": [world.a1.pk, world.a2.pk]})
    assert response.status_code == 302
    scope.forget(world.mentor)
    assert sorted(scope.students(world.mentor).values_list("name", flat=True)) == ["张一", "李二", "王三"]
    # Already paired students are not offered again.
    assert client.get(url, {"class": world.class1.pk}).context["candidates"] == []


def test_ending_a_pair_hides_the_student_from_the_mentor(world, client_for):
    pair = MentorPair.objects.get(mentor=world.mentor, student=world.b1)
    response = client_for(world.leader).post(reverse("accounts:mentor_pair_end", args=[world.mentor.pk, pair.pk]))
    assert response.status_code == 302
    pair.refresh_from_db()
    assert not pair.is_active and pair.until is not None
    scope.forget(world.mentor)
    assert not scope.students(world.mentor).exists()


def test_students_of_another_school_cannot_be_paired(world, client_for):
    client = client_for(world.psych)
    client.post(reverse("accounts:mentor_pair_add", args=[world.mentor.pk]), {"student": [world.w1.pk]})
    assert not MentorPair.objects.filter(student=world.w1).exists()


def test_another_schools_mentor_is_404(world, client_for):
    assert client_for(world.other_psych).get(reverse("accounts:mentor_detail", args=[world.mentor.pk])).status_code == 404
    pair = MentorPair.objects.get(mentor=world.mentor)
    response = client_for(world.other_psych).post(reverse("accounts:mentor_pair_end", args=[world.mentor.pk, pair.pk]))
    assert response.status_code == 404
    assert MentorPair.objects.get(pk=pair.pk).is_active


@pytest.mark.parametrize("who", ["outsider", "head", "mentor", "secadmin", "auditor", "sysadmin", "city_centre"])
def test_roles_without_mentor_pairing_are_refused(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get(reverse("accounts:mentor_list")).status_code == 403
    assert client.get(reverse("accounts:mentor_detail", args=[world.mentor.pk])).status_code == 403
    assert client.post(reverse("accounts:mentor_pair_add", args=[world.mentor.pk]),
                       {"student": [world.a1.pk]}).status_code == 403


def test_pairing_is_audited(world, client_for):
    from auditlog.models import LogEntry

    client_for(world.leader).post(reverse("accounts:mentor_pair_add", args=[world.mentor.pk]), {"student": [world.a1.pk]})
    entry = LogEntry.objects.filter(content_type__model="mentorpair").latest("timestamp")
    assert entry.actor == world.leader and entry.serialized_data["fields"]["student"] == world.a1.pk

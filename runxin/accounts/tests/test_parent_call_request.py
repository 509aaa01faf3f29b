""""Ask the parents to call me": a short notice to the parent accounts on the roster, nothing about why, once a
day per teacher and student; guardians without an account are named for a phone call; out of reach is refused."""

import pytest
from django.urls import reverse

from runxin.notify.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]



def url(student):
    return reverse("accounts:parent_call_request", args=[student.pk])


def test_the_head_teacher_asks_the_parents_of_a1_to_call(world, client_for):
    world.head.phone = "13900001234"
    world.head.save(update_fields=["phone"])
    client = client_for(world.head)
    response = client.post(url(world.a1), follow=True)
    assert response.status_code == 200
    sent = Notification.objects.filter(kind="family.call_request")
    assert {(n.recipient_id, n.channel) for n in sent} == {(world.parent.pk, c) for c in ("sms", "wechat", "inbox")}
    note = sent.first()
    assert "13900001234" in note.body and "head" in note.subject and world.a1.name in note.subject
    # Nothing about why: no warning, screening or risk words reach a family phone.
    for word in ("warning", "risk", "screening", "suicid", "预警", "风险"):
        assert word not in (note.subject + note.body).lower()
    assert "asking them to call you" in response.content.decode()
    # Pressed again the same day: nothing sent twice, and the page says so.
    again = client.post(url(world.a1), follow=True).content.decode()
    assert Notification.objects.filter(kind="family.call_request").count() == 3
    assert "already asked these parents" in again


def test_guardians_without_an_account_are_named_for_a_phone_call(world, client_for):
    from runxin.testing import factories as f

    world.b1.guardians.all().delete()
    f.GuardianFactory(student=world.b1, position=1, name="王妈妈", phone="13811112222")
    page = client_for(world.psych).post(url(world.b1), follow=True).content.decode()
    assert not Notification.objects.filter(kind="family.call_request").exists()
    assert "Please phone them directly" in page and "王妈妈 13811112222" in page


def test_out_of_reach_and_without_guardian_contact_is_refused(world, client_for):
    assert client_for(world.other_psych).post(url(world.a1)).status_code == 404  # another school
    assert client_for(world.head).post(url(world.b1)).status_code == 404  # another class
    for who in (world.parent, world.student_user, world.committee, world.city_admin, world.hotline):
        assert client_for(who).post(url(world.a1)).status_code in (403, 404), who
    assert client_for(world.head).get(url(world.a1)).status_code == 405
    assert not Notification.objects.filter(kind="family.call_request").exists()


def test_the_button_shows_to_those_who_may_use_it(world, client_for):
    detail = reverse("people:student_detail", args=[world.a1.pk])
    assert url(world.a1) in client_for(world.head).get(detail).content.decode()
    assert url(world.a1) not in client_for(world.hotline).get(detail).content.decode()

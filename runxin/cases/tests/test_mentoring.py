"""Mentor contacts (导师联系记录) and their frequency per warning level: who may log a contact, who reads its note
(encrypted at rest), a mentor's own list with overdue contacts first, the school's mentor grid against 1:15, and
the city's contact policy with its defaults and validation."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.alerts import services as alert_services
from runxin.alerts.models import WarningLevel
from runxin.cases import mentoring
from runxin.cases.models import CasePlan, ContactPolicy, MentorContact
from runxin.people.models import MentorPair
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CANARY = "金鱼-canary-7731 父母争吵"


def raise_warning(student, level="critical"):
    return alert_services.warning_raise_from_screening(
        student=student, result_id=f"t-{student.pk}-{level}", suggested_level=level, reasons=[],
        instrument_code="phq-a")


def contact_url(student):
    return reverse("cases:mentor_contact_new", kwargs={"student_id": student.pk})


def levels():
    return list(WarningLevel.objects.filter(is_active=True).order_by("-severity"))


# ------------------------------------------------------------------------------------------------ policy

def test_defaults_follow_the_severity_rank_and_a_saved_row_wins(world):
    rows = mentoring.contact_policies()
    assert [r.level for r in rows] == levels()
    assert [(r.mentor_contact_days, r.review_days, r.is_default) for r in rows][:3] == [
        (7, 14, True), (14, 30, True), (30, 60, True)]
    mentoring.contact_policy_set(actor=world.city_admin, level=levels()[0], mentor_contact_days=3, review_days=10)
    top = mentoring.contact_policies()[0]
    assert (top.mentor_contact_days, top.review_days, top.is_default) == (3, 10, False)


def test_policy_page_saves_and_refuses_out_of_range_days(world, client_for):
    client = client_for(world.city_admin)
    top, second = levels()[:2]
    data = {}
    for lv in levels():
        data[f"contact_{lv.pk}"], data[f"review_{lv.pk}"] = 5, 20
    data[f"contact_{top.pk}"] = 0
    data[f"review_{second.pk}"] = 400
    response = client.post(reverse("cases:contact_policy"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "greater than or equal to 1" in body and "less than or equal to 365" in body
    assert 'value="400"' in body  # what was typed is shown again, not lost
    assert not ContactPolicy.objects.exists()
    data[f"contact_{top.pk}"], data[f"review_{second.pk}"] = 2, 30
    assert client.post(reverse("cases:contact_policy"), data).status_code == 302
    assert ContactPolicy.objects.get(level=top).mentor_contact_days == 2
    assert ContactPolicy.objects.get(level=second).review_days == 30
    with pytest.raises(mentoring.MentoringError):
        mentoring.contact_policy_set(actor=world.city_admin, level=top, mentor_contact_days=366, review_days=5)


def test_only_the_city_sets_the_policy(world, client_for):
    for user in (world.psych, world.district_centre, world.leader):
        assert client_for(user).get(reverse("cases:contact_policy")).status_code == 403
    with pytest.raises(PermissionDenied):
        mentoring.contact_policy_set(actor=world.psych, level=levels()[0], mentor_contact_days=5, review_days=5)


# ---------------------------------------------------------------------------------------------- contacts

def test_mentor_logs_a_contact_with_a_paired_student_note_encrypted(world, client_for):
    client = client_for(world.mentor)  # paired with 王三 (b1) in the world
    at = timezone.localtime() - dt.timedelta(hours=2)
    response = client.post(contact_url(world.b1), {"at": at.strftime("%Y-%m-%dT%H:%M"), "form": "talk",
                                                   "note": CANARY})
    assert response.status_code == 302
    contact = MentorContact.objects.get()
    assert (contact.student, contact.mentor, contact.form, contact.note) == (world.b1, world.mentor, "talk", CANARY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM cases_mentorcontact WHERE id = %s", [contact.pk])
        raw = cursor.fetchone()[0]
    assert CANARY not in raw and "canary" not in raw
    page = client.get(contact_url(world.b1)).content.decode()
    assert CANARY in page  # the writer reads it
    assert ReadEvent.objects.filter(user=world.mentor, student=world.b1, record_type="cases.mentor_contacts").exists()


def test_mentor_sees_only_paired_students(world, client_for):
    client = client_for(world.mentor)
    for student in (world.a1, world.a2, world.w1):  # not paired with this mentor
        assert client.get(contact_url(student)).status_code == 404
        assert client.post(contact_url(student), {"at": "2026-01-01T10:00", "form": "talk"}).status_code == 404
    with pytest.raises(PermissionDenied):
        mentoring.contact_log(actor=world.mentor, student=world.a1, at=timezone.now(), form="talk")
    # Once the pair ends the mentor loses the student.
    MentorPair.objects.filter(mentor=world.mentor).update(is_active=False)
    assert client_for(world.mentor).get(contact_url(world.b1)).status_code == 404


def test_note_is_for_the_writer_and_the_case_team_only(world, client_for):
    mentoring.contact_log(actor=world.mentor, student=world.b1, at=timezone.now(), form="phone", note=CANARY)
    head_b = f.UserFactory(username="head_b")
    f.assign(head_b, "head_teacher", world.class2)
    page = client_for(head_b).get(contact_url(world.b1)).content.decode()
    assert "Phone" in page and CANARY not in page  # the head teacher sees that it happened
    assert CANARY in client_for(world.psych).get(contact_url(world.b1)).content.decode()  # case.plan holder
    assert client_for(world.head).get(contact_url(world.b1)).status_code == 404  # another class's head teacher
    assert client_for(world.other_psych).get(contact_url(world.b1)).status_code == 404  # another school


def test_bad_contact_input_is_a_form_error(world, client_for):
    client = client_for(world.psych)
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(contact_url(world.a1), {"at": future, "form": "talk", "note": "留下的话"})
    body = response.content.decode()
    assert response.status_code == 200 and "cannot be in the future" in body and "留下的话" in body
    response = client.post(contact_url(world.a1), {"at": "yesterday", "form": "carrier-pigeon"})
    assert response.status_code == 200 and "Enter a valid date/time" in response.content.decode()
    assert not MentorContact.objects.exists()


# ------------------------------------------------------------------------------------------- due and overdue

def test_my_mentees_overdue_first_with_the_level_frequency(world, client_for):
    MentorPair.objects.create(mentor=world.mentor, student=world.a1, since=timezone.localdate() - dt.timedelta(days=60))
    MentorPair.objects.filter(mentor=world.mentor, student=world.b1).update(
        since=timezone.localdate() - dt.timedelta(days=60))
    warning = raise_warning(world.a1)  # the most severe level: every 7 days by default
    warning.raised_at = timezone.now() - dt.timedelta(days=20)
    warning.save(update_fields=["raised_at"])
    mentoring.contact_log(actor=world.mentor, student=world.a1, at=timezone.now() - dt.timedelta(days=10),
                          form="talk")
    rows = mentoring.my_mentees(world.mentor)
    assert [r.student for r in rows] == [world.a1, world.b1]
    top = rows[0]
    assert top.overdue and top.days_overdue == 3 and top.risk.contact_days == 7
    assert rows[1].risk is None and not rows[1].overdue  # 王三 is not at risk: no frequency applies
    page = client_for(world.mentor).get(reverse("cases:my_mentees")).content.decode()
    assert page.index(world.a1.name) < page.index(world.b1.name) and "3 days overdue" in page
    assert ReadEvent.objects.filter(user=world.mentor, record_type="cases.my_mentees").count() == 2
    # A contact today clears it; a longer policy moves the due date.
    mentoring.contact_log(actor=world.mentor, student=world.a1, at=timezone.now(), form="phone")
    assert not mentoring.my_mentees(world.mentor)[0].overdue


def test_a_plan_without_an_open_warning_uses_the_mildest_level(world):
    CasePlan.objects.create(student=world.b1, school=world.school, opened_at=timezone.now(), opened_by=world.psych,
                            lead=world.psych)
    risk = mentoring.risks([world.b1.pk])[world.b1.pk]
    assert risk.level == levels()[-1] and risk.has_plan and not risk.has_warning


# -------------------------------------------------------------------------------------------------- the grid

def test_grid_shows_load_unpaired_at_risk_and_overdue_first(world, client_for):
    raise_warning(world.a1)
    raise_warning(world.a2)
    old = raise_warning(world.b1)  # paired with the world's mentor since the start of the year: never contacted
    old.raised_at = timezone.now() - dt.timedelta(days=10)
    old.save(update_fields=["raised_at"])
    MentorPair.objects.filter(mentor=world.mentor, student=world.b1).update(
        since=timezone.localdate() - dt.timedelta(days=60))
    many = f.UserFactory(username="busy_mentor", display_name="忙碌导师")
    f.assign(many, "mentor", world.school)
    for i in range(16):
        MentorPair.objects.create(mentor=many, student=f.StudentFactory(school_class=world.class1, name=f"学生{i}"),
                                  since=timezone.localdate())
    MentorPair.objects.create(mentor=many, student=world.a2, since=timezone.localdate())
    grid = mentoring.mentor_grid(world.psych, world.school)
    loads = {m.mentor: (m.pairs, m.over) for m in grid.mentors}
    assert loads[many] == (17, True) and loads[world.mentor] == (1, False)
    assert [s for s, _risk in grid.unpaired] == [world.a1]
    assert [(r.student, r.overdue) for r in grid.paired] == [(world.b1, True), (world.a2, False)]
    page = client_for(world.psych).get(reverse("cases:mentors", kwargs={"unit_id": world.school.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "17 / 15" in body and "above the guideline" in body
    assert world.a1.name in body and world.w1.name not in body
    assert ReadEvent.objects.filter(user=world.psych, record_type="cases.mentor_grid", student=world.a1).exists()


def test_grid_is_the_schools_own_and_the_district_centres(world, client_for):
    url = reverse("cases:mentors", kwargs={"unit_id": world.school.pk})
    assert client_for(world.district_centre).get(url).status_code == 200
    assert client_for(world.other_psych).get(url).status_code == 404
    assert client_for(world.head).get(url).status_code == 403
    assert client_for(world.mentor).get(url).status_code == 403
    assert client_for(world.psych).post(url).status_code == 405

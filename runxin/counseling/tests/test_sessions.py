"""Counseling sessions: recording and its checks, who reads the notes (the counselor and the note readers) and who
sees only that a session took place, corrections within 24 hours, the list, the student's file entries."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.alerts import services as alert_services
from runxin.counseling import selectors, services
from runxin.counseling.models import CounselingSession
from runxin.people.models import MentorPair
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

SECRET = "她说夜里睡不着，想到跳楼"  # the kind of text that must stay with the note readers


def record(world, student=None, actor=None, **overrides):
    values = dict(held_at=timezone.now() - timedelta(hours=2), duration_minutes=50, form="individual",
                  current_state="情绪低落", main_problem=SECRET, assessment="PHQ-A 18", analysis="学业压力",
                  measures="每周一次辅导，告知家长", effect="愿意继续来")
    values.update(overrides)
    return services.session_record(actor=actor or world.psych, student=student or world.a1, **values)


@pytest.fixture
def session(world):
    return record(world)


# ---------------------------------------------------------------------------------------------- recording

def test_the_psych_teacher_records_a_session_through_the_page(world, client_for):
    warning = alert_services.warning_raise_from_screening(student=world.a1, result_id="r1", suggested_level="critical",
                                                          reasons=[], instrument_code="phq-a")
    client = client_for(world.psych)
    page = client.get(reverse("counseling:session_new", args=[world.a1.pk]))
    assert page.status_code == 200 and "张一" in page.content.decode()
    held = timezone.localtime() - timedelta(hours=1)
    response = client.post(reverse("counseling:session_new", args=[world.a1.pk]), {
        "held_at": held.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "40", "form": "phone",
        "main_problem": SECRET, "measures": "约定下周再谈", "warning": str(warning.pk),
        "next_session_on": (timezone.localdate() + timedelta(days=7)).isoformat()})
    saved = CounselingSession.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("counseling:session", args=[saved.pk])
    assert (saved.counselor, saved.school_id, saved.form, saved.duration_minutes) == (
        world.psych, world.school.pk, "phone", 40)
    assert saved.main_problem == SECRET and saved.warning == warning
    assert ReadEvent.objects.filter(user=world.psych, student=world.a1, record_type="counseling.session_new").exists()


@pytest.mark.parametrize("change, field", [
    ({"duration_minutes": 4}, "duration_minutes"), ({"duration_minutes": 481}, "duration_minutes"),
    ({"held_at": timezone.now() + timedelta(hours=3)}, "held_at"), ({"main_problem": "  "}, "main_problem"),
    ({"measures": ""}, "measures"), ({"form": "letter"}, "form"),
])
def test_a_session_is_checked_and_nothing_is_saved_when_wrong(world, change, field):
    with pytest.raises(services.CounselingError) as caught:
        record(world, **change)
    assert caught.value.field == field
    assert not CounselingSession.objects.exists()


def test_a_bad_form_shows_a_clear_error_and_keeps_what_was_typed(world, client_for, english):
    response = client_for(world.psych).post(reverse("counseling:session_new", args=[world.a1.pk]), {
        "held_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "45",
        "form": "individual", "main_problem": "没有睡好", "measures": "放松训练"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "The session cannot be in the future" in body and "没有睡好" in body and "放松训练" in body
    garbage = client_for(world.psych).post(reverse("counseling:session_new", args=[world.a1.pk]),
                                           {"held_at": "yesterday", "duration_minutes": "x"})
    assert garbage.status_code == 400 and "Give the date and time of the session." in garbage.content.decode()
    assert not CounselingSession.objects.exists()


def test_only_counselors_of_the_student_record_sessions(world, client_for):
    for user in (world.head, world.leader, world.mentor):  # no COUNSELING_RECORD
        assert client_for(user).get(reverse("counseling:session_new", args=[world.a1.pk])).status_code == 403
    # another school's psychology teacher: the student does not exist for them
    assert client_for(world.other_psych).get(reverse("counseling:session_new", args=[world.a1.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        record(world, actor=world.other_psych)
    with pytest.raises(PermissionDenied):
        record(world, actor=world.head)


def test_a_linked_warning_must_be_an_open_warning_of_the_student(world):
    other = alert_services.warning_raise_from_screening(student=world.a2, result_id="r2", suggested_level="critical",
                                                        reasons=[], instrument_code="phq-a")
    with pytest.raises(services.CounselingError) as caught:
        record(world, warning=other)
    assert caught.value.field == "warning"


def test_the_form_links_the_students_open_warning_unless_told_otherwise(world, client_for):
    # Left at "none", sessions in the middle of a red case were saved unlinked.
    import re

    client = client_for(world.psych)
    url = reverse("counseling:session_new", args=[world.a1.pk])
    assert 'id="s-warning"' not in client.get(url).content.decode()  # no open warning: nothing to link
    warning = alert_services.warning_raise_from_screening(student=world.a1, result_id="r1", suggested_level="critical",
                                                          reasons=[], instrument_code="phq-a")
    body = client.get(url).content.decode()
    selected = re.findall(r'<option value="(\d*)" selected>', body)
    assert selected == [str(warning.pk)]


# ------------------------------------------------------------------------------------------- who reads what

def test_the_counselor_and_the_centre_read_the_notes(world, client_for, session):
    for user in (world.psych, world.district_centre, world.city_centre):
        response = client_for(user).get(reverse("counseling:session", args=[session.pk]))
        assert response.status_code == 200, user
        assert SECRET in response.content.decode(), user
        assert ReadEvent.objects.filter(user=user, student=world.a1, record_type="counseling.session",
                                        record_id=str(session.pk)).exists()


def test_a_head_teacher_sees_that_a_session_took_place_not_its_text(world, client_for, session):
    body = client_for(world.head).get(reverse("counseling:session", args=[session.pk])).content.decode()
    assert "张一" in body and "psych" in body and "50" in body  # the fact: student, counselor, duration
    assert SECRET not in body and "每周一次辅导" not in body and "PHQ-A 18" not in body
    assert 'id="notes-withheld"' in body
    # and cannot correct it
    assert client_for(world.head).post(reverse("counseling:session", args=[session.pk]),
                                       {"main_problem": "x"}).status_code == 403


def test_the_school_leader_and_a_paired_mentor_see_the_fact_only(world, client_for, session):
    MentorPair.objects.create(mentor=world.mentor, student=world.a1, since=world.year.starts_on)
    for user in (world.leader, world.mentor):
        response = client_for(user).get(reverse("counseling:session", args=[session.pk]))
        assert response.status_code == 200, user
        assert SECRET not in response.content.decode(), user


def test_out_of_reach_staff_get_404(world, client_for, session):
    # the mentor is paired with 王三, not 张一; another school's psych teacher; a head teacher of another class
    other_head = f.UserFactory(username="head2")
    f.assign(other_head, "head_teacher", world.class2)
    for user in (world.mentor, world.other_psych, other_head):
        assert client_for(user).get(reverse("counseling:session", args=[session.pk])).status_code == 404, user
    for user in (world.hotline, world.parent, world.student_user, world.outsider):
        assert client_for(user).get(reverse("counseling:session", args=[session.pk])).status_code in (403, 404)


def test_another_psych_teacher_of_the_school_reads_the_notes_but_cannot_correct(world, client_for, session):
    colleague = f.UserFactory(username="psych2")
    f.assign(colleague, "psych_teacher", world.school)
    client = client_for(colleague)
    assert SECRET in client.get(reverse("counseling:session", args=[session.pk])).content.decode()
    assert client.post(reverse("counseling:session", args=[session.pk]), {}).status_code == 403


# --------------------------------------------------------------------------------------------- corrections

def _form(session, **changes):
    data = {"held_at": timezone.localtime(session.held_at).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "55",
            "form": "individual", "main_problem": "更正后的问题", "measures": session.measures}
    data.update(changes)
    return data


def test_the_counselor_corrects_within_24_hours_and_the_audit_names_fields_not_text(world, client_for, session):
    response = client_for(world.psych).post(reverse("counseling:session", args=[session.pk]), _form(session))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.main_problem == "更正后的问题" and session.duration_minutes == 55
    entry = LogEntry.objects.filter(object_pk=str(session.pk), changes__has_key="main_problem").get()
    assert "更正后的问题" not in str(entry.changes) and SECRET not in str(entry.changes)


def test_after_24_hours_the_record_stands(world, client_for, session, english):
    CounselingSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(hours=25))
    client = client_for(world.psych)
    page = client.get(reverse("counseling:session", args=[session.pk])).content.decode()
    assert "within 24 hours of writing it" in page and 'id="correct"' not in page
    assert client.post(reverse("counseling:session", args=[session.pk]), _form(session)).status_code == 403
    session.refresh_from_db()
    assert session.main_problem == SECRET


def test_a_bad_correction_keeps_the_typed_text(world, client_for, session):
    response = client_for(world.psych).post(reverse("counseling:session", args=[session.pk]),
                                            _form(session, duration_minutes="900", main_problem="新写的内容"))
    assert response.status_code == 400 and "新写的内容" in response.content.decode()
    session.refresh_from_db()
    assert session.main_problem == SECRET


# ------------------------------------------------------------------------------------------ list and file

def test_the_list_shows_mine_and_the_schools_newest_first(world, client_for):
    older = record(world, held_at=timezone.now() - timedelta(days=3))
    colleague = f.UserFactory(username="psych2", display_name="同事")
    f.assign(colleague, "psych_teacher", world.school)
    newer = record(world, actor=colleague, student=world.b1)
    record(world, actor=world.other_psych, student=world.w1)
    response = client_for(world.psych).get(reverse("counseling:sessions"))
    body = response.content.decode()
    assert "张一" in body and "王三" in body and "赵四" not in body
    assert body.index(reverse("counseling:session", args=[newer.pk])) < body.index(
        reverse("counseling:session", args=[older.pk]))
    assert SECRET not in body  # the list shows facts only
    mine = client_for(world.psych).get(reverse("counseling:sessions") + "?mine=1").content.decode()
    assert "张一" in mine and "王三" not in mine
    assert ReadEvent.objects.filter(user=world.psych, record_type="counseling.sessions").count() >= 2
    assert client_for(world.head).get(reverse("counseling:sessions")).status_code == 403


def test_file_entries_follow_the_notes_rule(world, session):
    from runxin.access import scope

    psych_entries = selectors.file_entries(world.psych, world.a1, scope.permissions_for_student(world.psych, world.a1))
    head_entries = selectors.file_entries(world.head, world.a1, scope.permissions_for_student(world.head, world.a1))
    assert [e.kind for e in psych_entries] == ["session"] and SECRET in psych_entries[0].detail
    assert [e.kind for e in head_entries] == ["session"] and head_entries[0].detail == ""
    assert head_entries[0].title == psych_entries[0].title and "50" in head_entries[0].title
    assert head_entries[0].actor == "psych"
    assert selectors.file_entries(world.hotline, world.a1, set()) == []

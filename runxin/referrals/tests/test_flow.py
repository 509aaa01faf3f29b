"""The path a referral takes: the school refers with the guardian informed, the hospital answers and records the
first visit, the admission and the discharge (follow-ups scheduled), the school's return-to-school assessment,
closed. Every step is dated and on the referral's timeline; the hospital reaches the student only meanwhile."""

import datetime as dt

import pytest
from django.urls import reverse

from runxin.access import scope
from runxin.alerts import services as alert_services
from runxin.alerts.models import FollowUp, Warning
from runxin.notify.models import Notification
from runxin.referrals import selectors, services
from runxin.referrals.models import Referral, ReferralEvent

from .conftest import SHANGHAI, refer

pytestmark = pytest.mark.django_db


def _at(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_school_to_hospital_and_back_to_school(w, clock, client_for):
    psych, doctor = client_for(w.psych), client_for(w.hospital)
    new = reverse("referrals:new", kwargs={"student_id": w.a1.pk})
    page = psych.get(new)
    assert page.status_code == 200
    assert "第一时间告知家长" in page.content.decode()
    assert "市第一医院" in page.content.decode() and "东区" in page.content.decode()

    response = psych.post(new, {
        "to_unit": w.hospital_unit.pk, "urgent": "on", "reason": "持续低落，有自伤念头", "guardian_told": "on",
        "guardian_name": "张母（母亲）", "guardian_how": "phone", "guardian_informed_at": "2026-10-09T09:45",
        "guardian_response": "同意，将陪同就诊"})
    referral = Referral.objects.get(student=w.a1)
    assert response.status_code == 302 and response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.status == "sent" and referral.urgent and referral.from_school_id == w.school.pk
    assert referral.guardian_informed_at == dt.datetime(2026, 10, 9, 9, 45, tzinfo=SHANGHAI)
    # The hospital's clinician is told in the inbox, and the urgent referral says so.
    note = Notification.objects.get(recipient=w.hospital, kind="referral_sent")
    assert "绿色通道" in note.subject or "Green channel" in note.subject
    assert not Notification.objects.filter(recipient=w.other_hospital).exists()

    # The clinician now reaches the student, and finds the referral first in the inbox.
    assert list(scope.students(w.hospital)) == [w.a1]
    inbox = doctor.get(reverse("referrals:received")).content.decode()
    assert w.a1.name in inbox and f'data-referral="{referral.pk}"' in inbox
    detail = reverse("referrals:detail", args=[referral.pk])
    page = doctor.get(detail).content.decode()
    assert "持续低落，有自伤念头" in page and 'id="do-accept"' in page and 'id="do-return-assessment"' not in page

    clock.advance(hours=1)
    assert doctor.post(detail, {"do": "accept", "note": "明早8点门诊"}).status_code == 302
    clock.advance(hours=3)
    assert doctor.post(detail, {"do": "first_visit", "at": "2026-10-09T13:00"}).status_code == 302
    clock.advance(hours=2)
    assert doctor.post(detail, {"do": "admission", "at": "2026-10-09T15:30"}).status_code == 302
    clock.advance(days=12)
    response = doctor.post(detail, {"do": "discharge", "at": "2026-10-21T10:00", "clinical_summary": "抑郁发作，好转",
                                    "return_advice": "可复学，建议减轻课业，每周随访"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "discharged"
    assert referral.responded_at == dt.datetime(2026, 10, 9, 11, 0, tzinfo=SHANGHAI)
    assert referral.first_visit_at == dt.datetime(2026, 10, 9, 13, 0, tzinfo=SHANGHAI)
    assert referral.admitted_at == dt.datetime(2026, 10, 9, 15, 30, tzinfo=SHANGHAI)
    assert referral.discharged_at == dt.datetime(2026, 10, 21, 10, 0, tzinfo=SHANGHAI)
    # The school's follow-ups after the discharge, for the referring psychology teacher.
    follow_ups = list(FollowUp.objects.filter(student=w.a1, origin="discharge").order_by("due_on"))
    assert [(f.due_on, f.origin_id, f.assigned_to_id) for f in follow_ups] == [
        (dt.date(2026, 10, 28), referral.pk, w.psych.pk), (dt.date(2026, 11, 20), referral.pk, w.psych.pk)]
    assert Notification.objects.filter(recipient=w.psych, kind="referral_discharged").exists()

    # The measured times: answer after 1 h, first visit after 3 h.
    iv = selectors.intervals(referral)
    assert (iv.to_answer, iv.to_first_visit) == (1.0, 3.0)
    page = psych.get(detail).content.decode()
    assert "可复学，建议减轻课业" in page and 'id="do-return-assessment"' in page and 'id="do-accept"' not in page

    # The school's return-to-school assessment with the hospital's advice, then closing.
    clock.advance(days=2)
    response = psych.post(detail, {"do": "return_assessment", "decision": "with_support",
                                   "arrangements": "先半天上课，班主任每日关注", "advice_considered": "1"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "returned" and referral.return_decision == "with_support"
    # Back at school: the hospital no longer reaches the student or the referral.
    scope.forget(w.hospital)
    assert not scope.students(w.hospital).exists()
    assert doctor.get(detail).status_code == 404
    assert doctor.get(reverse("people:student_detail", args=[w.a1.pk])).status_code == 404
    assert w.a1.name not in doctor.get(reverse("referrals:received")).content.decode()

    assert psych.post(detail, {"do": "close"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.closed_at is not None
    kinds = list(ReferralEvent.objects.filter(referral=referral).values_list("kind", flat=True))
    assert kinds == ["guardian_informed", "sent", "accepted", "first_visit", "admitted", "discharged",
                     "return_assessed", "closed"]


def test_a_referral_is_not_sent_without_the_guardian_informed(w, clock, client_for, english):
    psych = client_for(w.psych)
    new = reverse("referrals:new", kwargs={"student_id": w.a1.pk})
    base = {"to_unit": w.hospital_unit.pk, "reason": "需要评估", "guardian_name": "张母", "guardian_how": "phone",
            "guardian_informed_at": "2026-10-09T09:45"}
    response = psych.post(new, base)  # the confirmation is not ticked
    assert response.status_code == 200
    assert "A referral is sent only after the guardian has been informed" in response.content.decode()
    assert not Referral.objects.exists()
    response = psych.post(new, base | {"guardian_told": "on", "guardian_name": ""})
    assert response.status_code == 200 and not Referral.objects.exists()
    assert "Write which guardian was informed." in response.content.decode()
    response = psych.post(new, base | {"guardian_told": "on", "guardian_informed_at": "2026-10-09T18:00"})
    assert response.status_code == 200 and not Referral.objects.exists()
    assert "The time the guardian was informed cannot be in the future." in response.content.decode()
    # The typed text is kept for the next try.
    assert "需要评估" in response.content.decode()
    with pytest.raises(services.ReferralError, match="more than 30 days ago"):
        refer(w, informed=services.clock() - dt.timedelta(days=45))
    with pytest.raises(services.ReferralError):
        services.referral_create(actor=w.psych, student=w.a1, to_unit=w.hospital_unit, reason="x", urgent=False,
                                 guardian_name="", guardian_how="phone", guardian_informed_at=services.clock())


def test_one_open_referral_per_student_and_unit(w, clock, english):
    first = refer(w)
    with pytest.raises(services.ReferralError, match=f"already has an open referral to 市第一医院 \\(#{first.pk}"):
        refer(w)
    # Another unit is another referral; after the first is declined, the same unit again.
    refer(w, to_unit=w.east)
    services.referral_decline(referral=first, actor=w.hospital, reason="无儿少病房，请转市精神卫生中心")
    assert refer(w).pk != first.pk


def test_only_the_district_centre_or_a_partner_of_the_city(w, clock):
    with pytest.raises(services.ReferralError):
        refer(w, to_unit=w.west)  # another district's centre
    with pytest.raises(services.ReferralError):
        refer(w, to_unit=w.school)
    w.other_hospital_unit.is_active = False
    w.other_hospital_unit.save(update_fields=["is_active"])
    with pytest.raises(services.ReferralError):
        refer(w, to_unit=w.other_hospital_unit)  # a partner no longer active


def test_head_teacher_cannot_refer(w, clock, client_for):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        refer(w, actor=w.head)
    assert client_for(w.head).get(reverse("referrals:new", args=[w.a1.pk])).status_code == 403
    # The psychology teacher of another school: the student does not exist for her.
    assert client_for(w.other_psych).get(reverse("referrals:new", args=[w.a1.pk])).status_code == 404


def test_another_hospital_sees_nothing(w, clock, client_for):
    referral = refer(w)
    other = client_for(w.other_hospital)
    assert other.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert other.post(reverse("referrals:detail", args=[referral.pk]), {"do": "accept"}).status_code == 404
    assert other.get(reverse("people:student_detail", args=[w.a1.pk])).status_code == 404
    inbox = other.get(reverse("referrals:received"))
    assert inbox.status_code == 200 and w.a1.name not in inbox.content.decode()
    assert not selectors.received(w.other_hospital).exists()
    assert not scope.students(w.other_hospital).exists()
    # Its own clinician may not take the other hospital's steps either (service level).
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.referral_accept(referral=referral, actor=w.other_hospital)
    # The hospital's users have none of the school side's pages.
    assert other.get(reverse("referrals:sent")).status_code == 403
    assert other.get(reverse("referrals:new", args=[w.a1.pk])).status_code == 403


def test_the_hospital_loses_the_student_when_it_declines(w, clock, client_for):
    referral = refer(w)
    doctor = client_for(w.hospital)
    assert doctor.get(reverse("people:student_detail", args=[w.a1.pk])).status_code == 200
    response = doctor.post(reverse("referrals:detail", args=[referral.pk]), {"do": "decline", "reason": ""})
    assert response.status_code == 400  # a reason is required
    response = doctor.post(reverse("referrals:detail", args=[referral.pk]),
                           {"do": "decline", "reason": "无儿少病房"})
    assert response.status_code == 302 and response["Location"] == reverse("referrals:received")
    assert doctor.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert doctor.get(reverse("people:student_detail", args=[w.a1.pk])).status_code == 404
    assert Notification.objects.filter(recipient=w.psych, kind="referral_declined").exists()


def test_the_hospital_loses_the_student_when_the_school_withdraws(w, clock, client_for):
    referral = refer(w)
    psych = client_for(w.psych)
    detail = reverse("referrals:detail", args=[referral.pk])
    assert psych.post(detail, {"do": "withdraw", "reason": "家长选择其他医院"}).status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == "withdrawn"
    assert client_for(w.hospital).get(detail).status_code == 404
    assert Notification.objects.filter(recipient=w.hospital, kind="referral_withdrawn").exists()


def test_referral_to_the_district_centre(w, clock, client_for):
    referral = refer(w, to_unit=w.east)
    assert Notification.objects.filter(recipient=w.district_centre, kind="referral_sent").exists()
    assert not Notification.objects.filter(recipient=w.hospital).exists()
    centre = client_for(w.district_centre)
    inbox = centre.get(reverse("referrals:received")).content.decode()
    assert w.a1.name in inbox
    detail = reverse("referrals:detail", args=[referral.pk])
    assert 'id="do-accept"' in centre.get(detail).content.decode()
    # The city centre reaches the student (school side) but does not answer for the district's centre.
    city_page = client_for(w.city_centre).get(detail)
    assert city_page.status_code == 200 and 'id="do-accept"' not in city_page.content.decode()
    clock.advance(hours=2)
    assert centre.post(detail, {"do": "accept"}).status_code == 302
    clock.advance(hours=20)
    assert centre.post(detail, {"do": "first_visit", "at": "2026-10-10T08:00"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "seen" and selectors.intervals(referral).to_first_visit == 22.0
    # The centre keeps its district's finished referrals in view (it reaches the students anyway).
    services.record_discharge(referral=referral, actor=w.district_centre, at=clock(), clinical_summary="",
                              return_advice="门诊随访即可")
    services.return_assessment(referral=referral, actor=w.leader, decision="return", arrangements="",
                               advice_considered=True)
    assert selectors.received(w.district_centre).filter(pk=referral.pk).exists()


def test_dates_out_of_order_or_in_the_future_are_refused_with_a_message(w, clock, client_for, english):
    referral = refer(w)
    doctor = client_for(w.hospital)
    detail = reverse("referrals:detail", args=[referral.pk])
    response = doctor.post(detail, {"do": "first_visit", "at": "2026-10-09T08:00"})
    assert response.status_code == 400
    assert "cannot be before the referral" in response.content.decode()
    response = doctor.post(detail, {"do": "first_visit", "at": "2026-10-10T08:00"})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    response = doctor.post(detail, {"do": "first_visit", "at": "yesterday"})
    assert response.status_code == 400 and "2026-10-09 14:30" in response.content.decode()
    response = doctor.post(detail, {"do": "admission", "at": "2026-10-09T10:00"})
    assert response.status_code == 400 and "not open to you" in response.content.decode()
    clock.advance(days=3)
    services.record_first_visit(referral=referral, actor=w.hospital,
                                at=dt.datetime(2026, 10, 10, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(services.ReferralError, match="admission cannot be before the first visit"):
        services.record_admission(referral=referral, actor=w.hospital,
                                  at=dt.datetime(2026, 10, 10, 8, 0, tzinfo=SHANGHAI))
    services.record_admission(referral=referral, actor=w.hospital, at=dt.datetime(2026, 10, 10, 10, 0,
                                                                                   tzinfo=SHANGHAI))
    with pytest.raises(services.ReferralError, match="discharge cannot be before the admission"):
        services.record_discharge(referral=referral, actor=w.hospital, at=dt.datetime(2026, 10, 10, 9, 0,
                                                                                       tzinfo=SHANGHAI),
                                  clinical_summary="", return_advice="可复学")
    with pytest.raises(services.ReferralError, match="return-to-school advice"):
        services.record_discharge(referral=referral, actor=w.hospital, at=clock(), clinical_summary="",
                                  return_advice=" ")
    # A step out of order: closing before the return, the assessment before the discharge.
    with pytest.raises(services.ReferralError, match="follows the hospital's discharge"):
        services.return_assessment(referral=referral, actor=w.psych, decision="return", arrangements="",
                                   advice_considered=True)
    assert Referral.objects.get(pk=referral.pk).status == "admitted"


def test_the_warning_records_the_referral(w, clock, client_for):
    warning = alert_services.warning_raise_from_screening(
        student=w.a1, result_id="r-1", suggested_level="critical", reasons=[], instrument_code="phq-a")
    psych = client_for(w.psych)
    new = reverse("referrals:new", args=[w.a1.pk]) + f"?warning={warning.pk}"
    assert 'id="linked-warning"' in psych.get(new).content.decode()
    response = psych.post(new, {
        "warning": warning.pk, "to_unit": w.hospital_unit.pk, "reason": "高危", "guardian_told": "on",
        "guardian_name": "张母", "guardian_how": "in_person", "guardian_informed_at": "2026-10-09T09:55"})
    assert response.status_code == 302
    assert Referral.objects.get(student=w.a1).warning_id == warning.pk
    assert Warning.objects.get(pk=warning.pk).referred_at is not None
    # Another student's warning is never linked.
    other = alert_services.warning_raise_from_screening(
        student=w.b1, result_id="r-2", suggested_level="critical", reasons=[], instrument_code="phq-a")
    with pytest.raises(services.ReferralError):
        refer(w, to_unit=w.east, warning=other)

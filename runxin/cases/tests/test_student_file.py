"""The student's file (一人一档): one timeline of what the platform knows, each entry shown at the reader's detail
level, every opening read-audited, nobody outside the student's care reaching it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.alerts import services as alert_services
from runxin.cases import plans
from runxin.counseling import services as counseling
from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.referrals import services as referrals
from runxin.testing import factories as f
from runxin.visits import services as visits

pytestmark = pytest.mark.django_db

NOTE = "CANARY-会谈要点-7731"


@pytest.fixture
def case(world):
    """张一 with a red warning, a plan, a counseling session, a referral to the district hospital and a home visit."""
    w = world
    warning = alert_services.warning_raise_from_screening(
        student=w.a1, result_id="file-1", suggested_level="critical", reasons=["q9"], instrument_code="phq-a")
    alert_services.warning_acknowledge(warning=warning, actor=w.psych)
    plan = plans.plan_open(actor=w.psych, student=w.a1, lead=w.psych, goals="每周辅导，家校协同")
    now = timezone.now()
    counseling.session_record(actor=w.psych, student=w.a1, held_at=now - dt.timedelta(hours=2), duration_minutes=45,
                              form="individual", main_problem=NOTE, measures="认知行为技术")
    hospital = org_services.unit_create(kind=OrgUnit.Kind.HOSPITAL, name="市第一医院", parent=w.city)
    doctor = f.UserFactory(username="doctor", display_name="梁医生")
    f.assign(doctor, "hospital", hospital)
    referral = referrals.referral_create(
        actor=w.psych, student=w.a1, to_unit=hospital, reason="持续低落", urgent=True, guardian_name="张母",
        guardian_how="phone", guardian_informed_at=now - dt.timedelta(minutes=5))
    visits.contact_record(actor=w.head, student=w.a1, kind="home_visit", done_on=timezone.localdate(),
                          summary="家中环境安静，母亲陪伴", agreed="每天放学后聊十分钟", visitors="班主任",
                          met_with="母亲")
    w.warning, w.plan, w.referral, w.doctor = warning, plan, referral, doctor
    return w


def test_the_psychology_teacher_sees_every_kind_newest_first_with_the_notes(case, client_for):
    response = client_for(case.psych).get(reverse("cases:file", args=[case.a1.pk]))
    assert response.status_code == 200
    entries = response.context["entries"]
    kinds = {e.kind for e in entries} | {e.kind for e in response.context["file"].upcoming}
    assert {"warning", "plan", "session", "referral", "visit"} <= kinds
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    html = response.content.decode()
    assert NOTE in html  # the counselor reads her own session record
    assert "每天放学后聊十分钟" in html
    assert ReadEvent.objects.filter(user=case.psych, student=case.a1, record_type="case.file").count() == 1


def test_a_head_teacher_sees_that_things_happened_but_not_the_clinical_text(case, client_for):
    response = client_for(case.head).get(reverse("cases:file", args=[case.a1.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    kinds = {e.kind for e in response.context["entries"]}
    assert "session" in kinds and "warning" in kinds
    assert NOTE not in html and "持续低落" not in html
    # The head teacher may not open a plan or refer: the file offers only what they may do.
    assert reverse("cases:plan_new", args=[case.a1.pk]) not in html
    assert reverse("visits:new", args=[case.a1.pk]) in html


def test_the_filter_shows_one_kind(case, client_for):
    response = client_for(case.psych).get(reverse("cases:file", args=[case.a1.pk]), {"kind": "session"})
    assert {e.kind for e in response.context["entries"]} == {"session"}
    assert len(response.context["entries"]) == 1


@pytest.mark.parametrize("who", ["other_psych", "head_b", "doctor", "student_user", "parent"])
def test_nobody_outside_the_students_care_opens_the_file(case, client_for, who):
    if who == "head_b":
        user = f.UserFactory(username="head_b")
        f.assign(user, "head_teacher", case.class2)
    else:
        user = getattr(case, who)
    response = client_for(user).get(reverse("cases:file", args=[case.a1.pk]))
    assert response.status_code in (403, 404)
    assert NOTE.encode() not in response.content
    assert not ReadEvent.objects.filter(user=user, record_type="case.file").exists()


def test_a_hospital_is_sent_home_to_its_referrals(case, client_for):
    response = client_for(case.doctor).get(reverse("front:home"))
    assert response.status_code == 302 and response.url == reverse("referrals:received")


def test_a_plan_review_past_its_date_is_marked_overdue_on_the_home_page(case, client_for):
    # Reviews two months late read "review by 2026-10-08", like one due tomorrow.
    from runxin.cases.models import CasePlan

    client = client_for(case.psych)
    CasePlan.objects.filter(pk=case.plan.pk).update(next_review_on=timezone.localdate() + dt.timedelta(days=1))
    html = client.get(reverse("front:home")).content.decode()
    assert 'id="plans-to-review"' in html and "review-overdue" not in html
    CasePlan.objects.filter(pk=case.plan.pk).update(next_review_on=timezone.localdate() - dt.timedelta(days=60))
    html = client.get(reverse("front:home")).content.decode()
    assert 'class="text-red review-overdue"' in html


def test_the_home_page_lists_my_plan_actions_and_the_referrals_waiting(case, client_for):
    from runxin.cases.models import PlanAction

    plans.action_add(actor=case.psych, plan=case.plan, step=PlanAction.Step.HOME_SCHOOL,
                     description="与家长约定每日沟通", responsible=case.head,
                     due_on=timezone.localdate())
    html = client_for(case.head).get(reverse("front:home")).content.decode()
    assert 'id="my-plan-actions"' in html and "张一" in html
    assert ReadEvent.objects.filter(user=case.head, record_type="cases.my_work", student=case.a1).exists()
    # The centre of the hospital's city is not involved; the clinician's list is their referrals page.
    page = client_for(case.doctor).get(reverse("referrals:received"))
    assert page.status_code == 200 and "张一" in page.content.decode()

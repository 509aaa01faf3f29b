"""The path a real case takes (issue 12), walked in the browser: a red warning → the plan → two counseling sessions
→ a consultation → a referral with the guardian informed → the hospital accepts, admits and discharges → the
school's return-to-school assessment → the follow-up done → the warning cleared. The student's file and the plan
are photographed at desktop and phone width (test-artifacts/)."""

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from runxin.alerts import services as alerts
from runxin.alerts.models import FollowUp, Warning
from runxin.cases.models import CasePlan
from runxin.counseling import services as counseling
from runxin.counseling.models import Consultation, CounselingSession
from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.referrals.models import Referral
from runxin.testing import factories as f
from runxin.testing.browser import fits_the_screen
from runxin.testing.world import build_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]
ARTIFACTS = Path("test-artifacts")
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def submit(page, do: str) -> None:
    """Press the button of the referral page's form for one step."""
    page.locator(f"form:has(input[name=do][value={do}]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_red_warning_through_plan_sessions_consultation_referral_hospital_and_back(page_for, live_server):
    w = build_world()
    base = live_server.url
    hospital = org_services.unit_create(kind=OrgUnit.Kind.HOSPITAL, name="市第一医院", parent=w.city)
    doctor = f.UserFactory(username="doctor", display_name="梁医生")
    f.assign(doctor, "hospital", hospital)
    counseling.expert_add(actor=w.district_centre, district=w.east, user=w.district_centre, speciality="青少年抑郁")
    warning = alerts.warning_raise_from_screening(student=w.a1, result_id=str(uuid.uuid4()), suggested_level="critical",
                                                  reasons=["PHQ-A 9"], instrument_code="phq-a")
    assert warning.level.code == "red"
    warning = alerts.warning_acknowledge(warning=warning, actor=w.psych)
    warning = alerts.warning_assess(warning=warning, actor=w.psych, confirm=True, reason="访谈确认有自杀意念",
                                    clinical_note="有想法，无具体计划")

    # 1. The plan, opened from the student's file.
    page = page_for(w.psych)
    page.goto(f"{base}/cases/students/{w.a1.pk}/")
    page.locator("#file-actions a", has_text="制定方案").click()
    page.wait_for_load_state("networkidle")
    page.fill("textarea[name=goals]", "两周内恢复睡眠；每周辅导；家校每日沟通")
    page.locator("form button[type=submit]", has_text="建立方案").click()
    page.wait_for_load_state("networkidle")
    plan = CasePlan.objects.get(student=w.a1, status="open")
    assert plan.warning_id == warning.pk and page.url.endswith(f"/cases/plans/{plan.pk}/")
    assert Warning.objects.get(pk=warning.pk).state == "intervention"  # the plan starts the intervention

    # 2. Two counseling sessions with the structured record.
    for days_ago, problem in ((3, "学业压力大，夜间失眠"), (1, "与母亲冲突后情绪低落")):
        page.goto(f"{base}/counseling/students/{w.a1.pk}/sessions/new/")
        page.fill("input[name=held_at]", local(timezone.now() - timedelta(days=days_ago)))
        page.fill("input[name=duration_minutes]", "50")
        page.select_option("select[name=form]", "individual")
        page.fill("textarea[name=main_problem]", problem)
        page.fill("textarea[name=measures]", "认知重构；情绪日记")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state("networkidle")
    assert CounselingSession.objects.filter(student=w.a1).count() == 2

    # 3. A consultation with the district centre's expert, who answers.
    page.goto(f"{base}/counseling/students/{w.a1.pk}/consultations/new/")
    page.fill("textarea[name=question]", "两次辅导后仍失眠，是否需要转介专科？")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    consultation = Consultation.objects.get(student=w.a1)
    counseling.consultation_opinion(actor=w.district_centre, consultation=consultation,
                                    opinion="建议转介精神专科门诊评估", recommendations="一周内就诊")

    # 4. The referral: the guardian is informed first.
    page.goto(f"{base}/referrals/students/{w.a1.pk}/new/?warning={warning.pk}")
    page.fill("input[name=guardian_name]", "张母（母亲）")
    page.locator("input[name=guardian_how][value=phone]").check()
    page.fill("input[name=guardian_informed_at]", local(timezone.now() - timedelta(minutes=10)))
    page.fill("textarea[name=guardian_response]", "同意，明早陪同就诊")
    page.locator("input[name=guardian_told]").check()
    page.select_option("select[name=to_unit]", str(hospital.pk))
    page.locator("input[name=urgent]").check()
    page.fill("textarea[name=reason]", "持续失眠伴自杀意念，辅导效果有限")
    page.locator("#send-referral").click()
    page.wait_for_load_state("networkidle")
    referral = Referral.objects.get(student=w.a1)
    assert referral.urgent and referral.guardian_name == "张母（母亲）"
    assert Warning.objects.get(pk=warning.pk).referred_at is not None

    # 5. The hospital: its home is the referrals sent to it; it accepts, sees, admits and discharges.
    clinic = page_for(doctor, viewport=PHONE)
    clinic.goto(f"{base}/")
    assert clinic.url.endswith("/referrals/received/")
    assert "张一" in clinic.content()
    shot(clinic, "case-path-hospital-received-phone")
    assert fits_the_screen(clinic)
    clinic.goto(f"{base}/referrals/{referral.pk}/")
    submit(clinic, "accept")
    # Each step's time defaults to now (the minute), which is after the referral was sent.
    submit(clinic, "first_visit")
    submit(clinic, "admission")
    clinic.fill("textarea[name=return_advice]", "可复学；前两周半天上课")
    clinic.fill("textarea[name=clinical_summary]", "住院治疗后睡眠恢复")
    submit(clinic, "discharge")
    referral.refresh_from_db()
    assert referral.status == "discharged" and referral.first_visit_at and referral.admitted_at

    # 6. The school's return-to-school assessment with the hospital's advice.
    page.goto(f"{base}/referrals/{referral.pk}/")
    page.locator("input[name=decision][value=with_support]").check()
    page.fill("textarea[name=arrangements]", "前两周上午到校；每周两次辅导")
    page.locator("input[name=advice_considered]").check()
    submit(page, "return_assessment")
    referral.refresh_from_db()
    assert referral.status == "returned" and referral.return_decision == "with_support"

    # 7. A follow-up the discharge scheduled, done from the psychology teacher's list.
    follow_up = FollowUp.objects.filter(student=w.a1, origin="discharge").order_by("due_on").first()
    assert follow_up is not None and follow_up.assigned_to_id == w.psych.pk
    page.goto(f"{base}/alerts/follow-ups/{follow_up.pk}/")
    page.fill("#record-follow-up textarea", "复学第一周：情绪平稳，按时服药")
    page.locator("#record-follow-up button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None

    # 8. The warning is cleared: monitoring, the request, the school leader's approval.
    warning = alerts.warning_monitor(warning=Warning.objects.get(pk=warning.pk), actor=w.psych, reason="情绪稳定")
    warning = alerts.warning_request_clear(warning=warning, actor=w.psych, reason="复学两周稳定",
                                           early_reason="住院期间由医院持续监护，出院复学评估稳定")
    approver = w.district_centre if warning.level.clear_tier >= 2 else w.leader
    warning = alerts.warning_approve_clear(warning=warning, actor=approver, reason="同意解除")
    assert warning.state == "cleared"

    # The file tells the whole story, newest first; photographed with the plan at both widths.
    for name, viewport in (("desktop", None), ("phone", PHONE)):
        view = page_for(w.psych, viewport=viewport)
        view.goto(f"{base}/cases/students/{w.a1.pk}/")
        text = view.locator("#file-timeline").inner_text()
        for seen in ("心理辅导", "转介", "出院", "复学", "已回访", "解除"):
            assert seen in text, seen
        shot(view, f"case-path-file-{name}")
        view.goto(f"{base}/cases/plans/{plan.pk}/")
        shot(view, f"case-path-plan-{name}")
        if name == "phone":
            assert fits_the_screen(view)

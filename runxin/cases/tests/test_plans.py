"""The plan (一生一策, issue 12 item 2): opened from a warning or directly, one open plan per student, actions under
the six steps with responsible people, reviews, closing, peer watch, follow-ups; who sees what of it; notes
encrypted at rest."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.alerts import services as alert_services
from runxin.alerts import states as alert_states
from runxin.alerts.models import FollowUp, WarningEvent
from runxin.cases import plan_selectors, plans
from runxin.cases.models import CasePlan, ContactPolicy, PeerWatch, PlanAction
from runxin.notify.models import Notification
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

CANARY = "CANARY-目标-7f3a9"


def red(student):
    return alert_services.warning_raise_from_screening(student=student, result_id=f"r-{student.pk}",
                                                       suggested_level="critical", reasons=[],
                                                       instrument_code="phq-a")


def assessed(world, student):
    warning = alert_services.warning_acknowledge(warning=red(student), actor=world.psych)
    return alert_services.warning_assess(warning=warning, actor=world.psych, confirm=True)


def open_plan(world, student=None, **kwargs):
    values = {"actor": world.psych, "student": student or world.a1, "lead": world.psych, "goals": CANARY,
              "assessment": "assessment text"} | kwargs
    return plans.plan_open(**values)


def today():
    return timezone.localdate()


# ------------------------------------------------------------------------------------------------- opening

def test_opened_from_an_assessed_warning_takes_it_into_intervention(world, client_for):
    warning = assessed(world, world.a1)
    ContactPolicy.objects.create(level=warning.level, mentor_contact_days=7, review_days=7)
    url = reverse("cases:plan_new", kwargs={"student_id": world.a1.pk}) + f"?warning={warning.pk}"
    client = client_for(world.psych)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["next_review_on"] == today() + timedelta(days=7)
    response = client.post(url, {"lead": world.psych.pk, "goals": "Sleep and attend school", "next_review_on": ""})
    plan = CasePlan.objects.get(student=world.a1)
    assert response.status_code == 302 and response["Location"] == reverse("cases:plan", kwargs={"plan_id": plan.pk})
    assert plan.warning_id == warning.pk and plan.school_id == world.a1.school_id
    assert plan.next_review_on == today() + timedelta(days=7)  # the level's contact policy
    warning.refresh_from_db()
    assert warning.state == alert_states.INTERVENTION
    event = WarningEvent.objects.filter(warning=warning, kind=WarningEvent.Kind.INTERVENTION_STARTED).get()
    assert f"#{plan.pk}" in event.reason


def test_opened_directly_reviews_in_fourteen_days_and_tells_the_lead(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan = open_plan(world, lead=world.leader)
    assert plan.warning_id is None and plan.status == CasePlan.Status.OPEN
    assert plan.next_review_on == today() + timedelta(days=14)
    notice = Notification.objects.get(recipient=world.leader, kind="plan.opened")
    assert notice.url == reverse("cases:plan", kwargs={"plan_id": plan.pk})
    assert world.a1.name not in notice.subject and CANARY not in notice.subject + notice.body


def test_a_second_open_plan_is_refused_with_a_clear_message(world, client_for, english):
    first = open_plan(world)
    with pytest.raises(plans.PlanError, match=f"already has an open plan \\(#{first.pk}"):
        open_plan(world)
    client = client_for(world.psych)
    url = reverse("cases:plan_new", kwargs={"student_id": world.a1.pk})
    page = client.get(url)
    assert "already has an open plan" in page.content.decode() and page.context["existing"] == first
    response = client.post(url, {"lead": world.psych.pk, "goals": "again"})
    assert response.status_code == 400
    assert "already has an open plan" in response.content.decode()
    assert CasePlan.objects.filter(student=world.a1).count() == 1


def test_the_database_refuses_a_second_open_plan_and_the_service_says_so(world, monkeypatch, english):
    open_plan(world)
    # A race: the first check saw no open plan, the database constraint catches the second.
    monkeypatch.setattr(plans.CasePlan.objects, "filter", lambda **kw: CasePlan.objects.none())
    with pytest.raises(plans.PlanError, match="someone opened it a moment ago"):
        open_plan(world)


def test_a_closed_plan_lets_a_new_one_open(world):
    first = open_plan(world)
    plans.plan_close(actor=world.psych, plan=first, summary="Goals met.")
    second = open_plan(world)
    assert second.pk != first.pk


def test_a_head_teacher_cannot_open_a_plan_and_the_lead_must_reach_the_student(world, english):
    with pytest.raises(PermissionDenied):
        plans.plan_open(actor=world.head, student=world.a1, lead=world.head, goals="x")
    with pytest.raises(plans.PlanError, match="cannot be the case lead"):
        open_plan(world, lead=world.other_psych)


# ------------------------------------------------------------------------------------------------- actions

def test_actions_under_the_six_steps(world, client_for, django_capture_on_commit_callbacks):
    plan = open_plan(world)
    client = client_for(world.psych)
    url = reverse("cases:plan_action", kwargs={"plan_id": plan.pk})
    due = (today() + timedelta(days=5)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        for step in PlanAction.Step.values:
            response = client.post(url, {"action-step": step, "action-description": f"do {step}",
                                         "action-responsible": world.head.pk, "action-due_on": due})
            assert response.status_code == 302
    assert sorted(plan.actions.values_list("step", flat=True)) == sorted(PlanAction.Step.values)
    page = client.get(reverse("cases:plan", kwargs={"plan_id": plan.pk})).content.decode()
    for step in PlanAction.Step.values:
        assert f'id="step-{step}"' in page and f"do {step}" in page
    assert Notification.objects.filter(recipient=world.head, kind="plan.action").count() == 6


def test_an_action_needs_a_responsible_person_who_reaches_the_student(world, client_for, english):
    plan = open_plan(world)
    response = client_for(world.psych).post(reverse("cases:plan_action", kwargs={"plan_id": plan.pk}), {
        "action-step": "pair", "action-description": "pair a mentor", "action-responsible": world.other_psych.pk})
    assert response.status_code == 400  # not among the choices: the form says so and keeps the text
    assert "pair a mentor" in response.content.decode()
    with pytest.raises(plans.PlanError, match="cannot be the person responsible"):
        plans.action_add(actor=world.psych, plan=plan, step="pair", description="x", responsible=world.other_psych)
    assert not plan.actions.exists()


def test_the_responsible_person_marks_their_own_action_done_others_cannot(world, client_for):
    plan = open_plan(world)
    action = plans.action_add(actor=world.psych, plan=plan, step="home_school", description="call the mother",
                              responsible=world.head)
    other_head = f.UserFactory(username="head_b")
    f.assign(other_head, "head_teacher", world.class1)
    url = reverse("cases:plan_action_done", kwargs={"plan_id": plan.pk, "plan_action_id": action.pk})
    assert client_for(other_head).post(url, {"done-outcome": "done"}).status_code == 403
    assert client_for(world.head).post(url, {"done-outcome": ""}).status_code == 400  # the outcome is required
    response = client_for(world.head).post(url, {"done-outcome": "Mother agreed to weekly calls"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_by == world.head and action.outcome == "Mother agreed to weekly calls"
    with pytest.raises(plans.PlanError):
        plans.action_done(actor=world.psych, action=action, outcome="again")


def test_a_case_plan_holder_may_mark_any_action_done(world):
    plan = open_plan(world)
    action = plans.action_add(actor=world.psych, plan=plan, step="intervene", description="sessions",
                              responsible=world.head)
    assert plans.action_done(actor=world.leader, action=action, outcome="6 sessions held").done_at is not None


def test_my_actions_lists_open_ones_overdue_first(world):
    plan = open_plan(world)
    later = plans.action_add(actor=world.psych, plan=plan, step="intervene", description="later",
                             responsible=world.head, due_on=today() + timedelta(days=9))
    undated = plans.action_add(actor=world.psych, plan=plan, step="pair", description="undated",
                               responsible=world.head)
    late = plans.action_add(actor=world.psych, plan=plan, step="home_school", description="late",
                            responsible=world.head, due_on=today() + timedelta(days=1))
    PlanAction.objects.filter(pk=late.pk).update(due_on=today() - timedelta(days=2))  # time has passed
    done = plans.action_add(actor=world.psych, plan=plan, step="assess", description="done",
                            responsible=world.head)
    plans.action_done(actor=world.head, action=done, outcome="ok")
    mine = plan_selectors.my_actions(world.head)
    assert [a.pk for a in mine] == [late.pk, later.pk, undated.pk]
    assert mine[0].overdue and not mine[1].overdue
    assert plan_selectors.my_actions(world.psych) == []


# ------------------------------------------------------------------------------------------ review, close

def test_a_review_sets_the_next_review(world, client_for):
    plan = open_plan(world)
    next_review = today() + timedelta(days=10)
    response = client_for(world.psych).post(reverse("cases:plan_review", kwargs={"plan_id": plan.pk}), {
        "review-progress": "Sleeping better", "review-next_review_on": next_review.isoformat()})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.next_review_on == next_review
    assert plan.reviews.get().progress == "Sleeping better"
    due = plan_selectors.plans_due_for_review(world.psych, within_days=10)
    assert [p.pk for p in due] == [plan.pk]
    assert plan_selectors.plans_due_for_review(world.psych, within_days=3) == []


def test_a_review_in_the_past_is_refused_and_the_text_kept(world, client_for, english):
    plan = open_plan(world)
    response = client_for(world.psych).post(reverse("cases:plan_review", kwargs={"plan_id": plan.pk}), {
        "review-progress": "Kept text", "review-next_review_on": (today() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be in the past" in body and "Kept text" in body
    assert not plan.reviews.exists()


def test_close_needs_a_summary_and_confirms_open_actions(world, client_for, english):
    plan = open_plan(world)
    action = plans.action_add(actor=world.psych, plan=plan, step="referral", description="refer to hospital",
                              responsible=world.psych)
    watch = plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.a2, task="Walk home with her.")
    url = reverse("cases:plan_close", kwargs={"plan_id": plan.pk})
    client = client_for(world.psych)
    assert client.post(url, {"close-summary": ""}).status_code == 400
    refused = client.post(url, {"close-summary": "Better now"})
    assert refused.status_code == 400 and "still open" in refused.content.decode()
    plan.refresh_from_db()
    assert plan.status == CasePlan.Status.OPEN
    assert client.post(url, {"close-summary": "Better now", "close-close_open_actions": "on"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == CasePlan.Status.CLOSED and plan.closed_by == world.psych
    assert plan.closing_summary.startswith("Better now") and "refer to hospital" in plan.closing_summary
    action.refresh_from_db()
    assert action.done_at is None  # listed as open at closing, never marked done
    assert PeerWatch.objects.get(pk=watch.pk).ended_at is not None
    assert plan_selectors.my_actions(world.psych) == []
    with pytest.raises(plans.PlanError):
        plans.review_add(actor=world.psych, plan=plan, progress="late")


# ----------------------------------------------------------------------------------------------- scoping

def test_out_of_scope_staff_get_404(world, client_for):
    plan = open_plan(world)
    head_b = f.UserFactory(username="head_class2")
    f.assign(head_b, "head_teacher", world.class2)
    url = reverse("cases:plan", kwargs={"plan_id": plan.pk})
    for user in (head_b, world.other_psych):
        assert client_for(user).get(url).status_code == 404
        assert world.a1.name not in client_for(user).get(reverse("cases:plans")).content.decode()
    assert client_for(world.other_psych).post(reverse("cases:plan_review", kwargs={"plan_id": plan.pk}),
                                              {"review-progress": "x"}).status_code == 404
    assert client_for(world.other_psych).get(
        reverse("cases:plan_new", kwargs={"student_id": world.a1.pk})).status_code == 404


def test_the_head_teacher_sees_the_plan_exists_and_their_own_actions_only(world, client_for):
    plan = open_plan(world)
    plans.action_add(actor=world.psych, plan=plan, step="home_school", description="MINE call parents",
                     responsible=world.head)
    plans.action_add(actor=world.psych, plan=plan, step="intervene", description="THEIRS weekly sessions",
                     responsible=world.psych)
    plans.review_add(actor=world.psych, plan=plan, progress="REVIEW NOTE")
    response = client_for(world.head).get(reverse("cases:plan", kwargs={"plan_id": plan.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "MINE call parents" in body and str(world.psych) in body  # own action, the lead
    for hidden in (CANARY, "assessment text", "THEIRS weekly sessions", "REVIEW NOTE"):
        assert hidden not in body
    assert ReadEvent.objects.filter(user=world.head, student=world.a1, record_type="cases.plan").exists()
    # Steps on the plan are case.plan's.
    assert client_for(world.head).post(reverse("cases:plan_review", kwargs={"plan_id": plan.pk}),
                                       {"review-progress": "x"}).status_code == 403


def test_a_mentor_sees_only_paired_students_plans_without_their_content(world, client_for):
    paired = open_plan(world, student=world.b1, mentor=world.mentor)  # the world pairs the mentor with 王三
    unpaired = open_plan(world, student=world.a1)
    client = client_for(world.mentor)
    body = client.get(reverse("cases:plan", kwargs={"plan_id": paired.pk})).content.decode()
    assert world.b1.name in body and CANARY not in body and "assessment text" not in body
    assert client.get(reverse("cases:plan", kwargs={"plan_id": unpaired.pk})).status_code == 404
    listed = client.get(reverse("cases:plans")).context["rows"]
    assert [p.pk for p in listed] == [paired.pk]


def test_the_care_team_reads_the_content_and_the_read_is_audited(world, client_for):
    plan = open_plan(world)
    body = client_for(world.psych).get(reverse("cases:plan", kwargs={"plan_id": plan.pk})).content.decode()
    assert CANARY in body and "assessment text" in body
    assert ReadEvent.objects.filter(user=world.psych, student=world.a1, record_type="cases.plan",
                                    record_id=str(plan.pk)).exists()
    client_for(world.psych).get(reverse("cases:plans"))
    assert ReadEvent.objects.filter(user=world.psych, student=world.a1, record_type="cases.plan_list").exists()


def test_every_link_of_the_plan_page_opens_for_whoever_sees_it(world, client_for):
    # The leader reads the plan but records no counseling: its "record a counseling session" led to a 403.
    import re

    plan = open_plan(world)
    url = reverse("cases:plan", kwargs={"plan_id": plan.pk})
    seen = {}
    for user in (world.psych, world.leader):
        client = client_for(user)
        body = client.get(url).content.decode()
        links = {href for href in re.findall(r'href="(/[^"#]*)', body) if not href.startswith("/static/")}
        seen[user.username] = links
        refused = {href: code for href in links if (code := client.get(href).status_code) in (403, 404)}
        assert refused == {}, user.username
    session_new = reverse("counseling:session_new", args=[world.a1.pk])
    assert session_new in seen[world.psych.username] and session_new not in seen[world.leader.username]


# -------------------------------------------------------------------------------------------- peer watch

def test_a_peer_watcher_sees_their_task_and_nothing_of_the_plan(world, client_for):
    plan = open_plan(world, student=world.a2)
    plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.a1,
                            task="Eat lunch with 李二; tell 王老师 at once if she seems very upset.")
    client = client_for(world.student_user)  # 张一's own account (role student)
    page = client.get(reverse("cases:my_tasks"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Eat lunch with 李二" in body and str(world.psych) in body
    assert CANARY not in body and "assessment text" not in body and "critical" not in body
    assert client.get(reverse("cases:plan", kwargs={"plan_id": plan.pk})).status_code in (403, 404)
    assert client.get(reverse("cases:plans")).status_code in (403, 404)
    plans.plan_close(actor=world.psych, plan=plan, summary="done")
    assert plan_selectors.peer_tasks(world.student_user) == []


def test_staff_have_no_tasks_page_and_another_student_sees_no_task(world, client_for):
    plan = open_plan(world, student=world.a2)
    plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.a1, task="Walk to class together.")
    assert client_for(world.psych).get(reverse("cases:my_tasks")).status_code == 403
    other = f.UserFactory(username="student_b1")
    f.assign(other, "student", world.class2, world.b1)
    assert "Walk to class together." not in client_for(other).get(reverse("cases:my_tasks")).content.decode()


@pytest.mark.parametrize("task", ["Watch her because of her depression", "她有自杀风险，看着她", "Check her risk level"])
def test_a_clinical_task_is_refused(world, task):
    plan = open_plan(world, student=world.a2)
    with pytest.raises(plans.PlanError):
        plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.a1, task=task)


def test_the_watcher_is_a_classmate_not_the_student(world):
    plan = open_plan(world, student=world.a2)
    with pytest.raises(plans.PlanError):
        plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.a2, task="Walk with her.")
    with pytest.raises(plans.PlanError):
        plans.peer_watch_assign(actor=world.psych, plan=plan, watcher=world.b1, task="Walk with her.")


# ------------------------------------------------------------------------------------------- encryption

def test_goals_are_encrypted_at_rest(world):
    plan = open_plan(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT goals, assessment FROM cases_caseplan WHERE id = %s", [plan.pk])
        goals, assessment = cursor.fetchone()
    assert CANARY not in goals and "CANARY" not in goals and goals
    assert "assessment text" not in assessment
    assert CasePlan.objects.get(pk=plan.pk).goals == CANARY


# ------------------------------------------------------------------------------------------- follow-ups

def test_a_follow_up_scheduled_from_the_plan(world, client_for, django_capture_on_commit_callbacks):
    warning = assessed(world, world.a1)
    plan = open_plan(world, warning=warning)
    due = today() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.psych).post(reverse("cases:plan_follow_up", kwargs={"plan_id": plan.pk}), {
            "follow_up-due_on": due.isoformat(), "follow_up-assigned_to": world.head.pk,
            "follow_up-note": "ask about sleep"})
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(origin="plan", origin_id=plan.pk)
    assert follow_up.student_id == world.a1.pk and follow_up.assigned_to == world.head
    assert follow_up.due_on == due and follow_up.warning_id == warning.pk
    assert Notification.objects.filter(recipient=world.head, kind="plan.follow_up").exists()
    page = client_for(world.head).get(reverse("cases:plan", kwargs={"plan_id": plan.pk}))
    assert page.context["follow_ups"] == [follow_up]


# ---------------------------------------------------------------------------------------- the file

def test_file_entries_follow_the_detail_levels(world):
    from runxin.access import scope

    plan = open_plan(world)
    action = plans.action_add(actor=world.psych, plan=plan, step="assess", description="screen again",
                              responsible=world.psych)
    plans.action_done(actor=world.psych, action=action, outcome="ACTION OUTCOME")
    plans.review_add(actor=world.psych, plan=plan, progress="REVIEW NOTE")
    full = plan_selectors.file_entries(world.psych, world.a1, scope.permissions_for_student(world.psych, world.a1))
    assert {e.kind for e in full} == {"plan"} and len(full) == 3
    assert any(CANARY in e.detail for e in full) and any("REVIEW NOTE" in e.detail for e in full)
    limited = plan_selectors.file_entries(world.head, world.a1, scope.permissions_for_student(world.head, world.a1))
    assert len(limited) == 3 and all(e.detail == "" for e in limited)
    assert all(e.url == reverse("cases:plan", kwargs={"plan_id": plan.pk}) for e in limited)
    assert plan_selectors.file_entries(world.student_user, world.a1, {"screening.take"}) == []


def test_steps_are_in_the_change_log_without_their_texts(world):
    from auditlog.models import LogEntry

    plan = open_plan(world)
    action = plans.action_add(actor=world.psych, plan=plan, step="intervene", description="SECRET ACTION",
                              responsible=world.head)
    plans.action_done(actor=world.head, action=action, outcome="SECRET OUTCOME")
    plans.plan_close(actor=world.psych, plan=plan, summary="SECRET SUMMARY")
    entries = LogEntry.objects.filter(object_pk__in=[str(plan.pk), str(action.pk)])
    changed = {name for e in entries for name in (e.changes_dict or {})}
    assert {"status", "closed_by", "done_at", "done_by"} <= changed
    dump = " ".join(str(e.changes) + str(e.serialized_data) for e in LogEntry.objects.all())
    for secret in (CANARY, "SECRET ACTION", "SECRET OUTCOME", "SECRET SUMMARY"):
        assert secret not in dump

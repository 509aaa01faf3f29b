"""Every step of the workflow through its service, who may take it, and every refusal with its message."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from runxin.alerts import intake, services, states
from runxin.alerts.models import FollowUp, Warning, WarningEvent

pytestmark = pytest.mark.django_db

# These tests are about other steps: they ask for clearing before the minimum time in monitoring.
EARLY = "Asked early on purpose in this test."


def observed(world, student=None, level=None, **kw):
    """A head teacher's observation about a student of class 1 (starts at the school: 班级上报学校)."""
    return intake.warning_report(actor=world.head, student=student or world.a1, source="observation",
                                   summary="Cried in class twice this week and gave away her things.",
                                   level=level, **kw)


def through(world, warning, *steps):
    for step in steps:
        warning = step(warning)
    return warning


def ack(world):
    return lambda w: services.warning_acknowledge(warning=w, actor=world.psych)


def assess(world, level=None, reason=""):
    return lambda w: services.warning_assess(warning=w, actor=world.psych, confirm=True, level=level, reason=reason,
                                             clinical_note="Low mood, no plan.")


def intervene(world):
    return lambda w: services.warning_start_intervention(warning=w, actor=world.psych, clinical_note="Weekly talks.")


def monitor(world):
    return lambda w: services.warning_monitor(warning=w, actor=world.psych)


def request_clear(world):
    return lambda w: services.warning_request_clear(warning=w, actor=world.psych, reason="Stable for six weeks.", early_reason=EARLY)


def test_the_whole_workflow_records_every_step(world, frozen):
    warning = observed(world)
    assert (warning.state, warning.tier, warning.level.code) == (states.RAISED, states.SCHOOL, "yellow")
    warning = through(world, warning, ack(world))
    assert warning.state == states.ACKNOWLEDGED and not warning.ack_pending
    assert warning.due_at == frozen() + dt.timedelta(minutes=warning.level.assess_minutes)
    warning = through(world, warning, assess(world), intervene(world))
    assert warning.state == states.INTERVENTION and warning.due_at is None and warning.intervention_at == frozen()
    warning = through(world, warning, monitor(world), request_clear(world))
    assert warning.state == states.CLEAR_REQUESTED and warning.clear_requested_by == world.psych
    frozen.advance(days=1)
    warning = services.warning_approve_clear(warning=warning, actor=world.leader, reason="Agreed.")
    assert warning.state == states.CLEARED and warning.cleared_at == frozen()
    follow_ups = list(warning.follow_ups.order_by("due_on"))
    assert [(f.due_on - frozen().date()).days for f in follow_ups] == [30, 90]
    for follow_up in follow_ups:
        warning = services.warning_record_follow_up(warning=warning, actor=world.head, follow_up_id=follow_up.pk,
                                                    note="Doing well, joined the choir.")
    assert warning.revisited_at is not None
    warning = services.warning_return_to_normal(warning=warning, actor=world.psych)
    assert warning.state == states.CLOSED and warning.closed_at == frozen()
    rows = list(warning.events.values_list("kind", "actor__username", "from_state", "to_state"))
    assert rows == [
        ("raised", "head", "", "raised"),
        ("acknowledged", "psych", "raised", "acknowledged"),
        ("assessed", "psych", "acknowledged", "assessed"),
        ("intervention_started", "psych", "assessed", "intervention"),
        ("monitoring_started", "psych", "intervention", "monitoring"),
        ("clear_requested", "psych", "monitoring", "clear_requested"),
        ("clear_approved", "leader", "clear_requested", "cleared"),
        ("follow_up_done", "head", "cleared", "cleared"),
        ("follow_up_done", "head", "cleared", "cleared"),
        ("returned_to_normal", "psych", "cleared", "closed"),
    ]
    assert warning.events.get(kind="assessed").clinical_note == "Low mood, no plan."


def test_dismiss_and_reopen(world, frozen):
    warning = through(world, observed(world), ack(world))
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=False,
                                      reason="A misunderstanding between friends; no risk.")
    assert warning.state == states.DISMISSED and warning.dismissed_at == frozen() and warning.due_at is None
    warning = services.warning_reopen(warning=warning, actor=world.psych, reason="Her mother called again.")
    assert (warning.state, warning.ack_pending, warning.reopen_count) == (states.RAISED, True, 1)
    assert warning.dismissed_at is None
    assert warning.events.last().kind == "reopened"


def test_assessment_to_red_is_acknowledged_at_the_school_on_red_clocks(world, frozen, levels):
    warning = through(world, observed(world), ack(world))
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=True, level=levels["red"],
                                      reason="Has a plan and a date.")
    assert (warning.level.code, warning.state, warning.ack_pending) == ("red", states.ASSESSED, True)
    assert warning.due_at == frozen() + dt.timedelta(minutes=30)
    event = warning.events.get(kind="assessed")
    assert (event.from_level.code, event.to_level.code) == ("yellow", "red")
    with pytest.raises(services.WarningError, match="district centre"):
        services.warning_acknowledge(warning=warning, actor=world.head)
    # Issue 8: red's policy names the psychology teacher as well as the school leader.
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    assert warning.state == states.ASSESSED and not warning.ack_pending
    assert warning.due_at == frozen() + dt.timedelta(minutes=240)


def test_red_clearing_is_approved_by_the_district_centre(world, frozen, levels):
    warning = intake.warning_report(actor=world.psych, student=world.a1, source="observation",
                                      summary="Wrote a goodbye letter.", level=levels["red"])
    warning = services.warning_acknowledge(warning=warning, actor=world.leader)
    warning = through(world, warning, assess(world), intervene(world), monitor(world), request_clear(world))
    with pytest.raises(services.WarningError, match="approved at"):
        services.warning_approve_clear(warning=warning, actor=world.leader)
    warning = services.warning_approve_clear(warning=warning, actor=world.district_centre)
    assert warning.state == states.CLEARED and warning.follow_ups.count() == 5


def test_nobody_approves_their_own_clearing(world, frozen, levels):
    warning = intake.warning_report(actor=world.district_centre, student=world.a1, source="police",
                                      reporter_name="东区派出所", summary="Found on a rooftop.", level=levels["red"])
    warning = services.warning_acknowledge(warning=warning, actor=world.district_centre)
    warning = services.warning_assess(warning=warning, actor=world.district_centre, confirm=True)
    warning = services.warning_start_intervention(warning=warning, actor=world.district_centre,
                                                  reason="Weekly counseling.")
    warning = services.warning_monitor(warning=warning, actor=world.district_centre)
    warning = services.warning_request_clear(warning=warning, actor=world.district_centre, reason="Stable.", early_reason=EARLY)
    with pytest.raises(services.WarningError, match="Someone other than"):
        services.warning_approve_clear(warning=warning, actor=world.district_centre)
    assert services.warning_approve_clear(warning=warning, actor=world.city_centre).state == states.CLEARED


def test_refused_clearing_goes_back_to_monitoring_with_its_reason(world, frozen):
    warning = through(world, observed(world), ack(world), assess(world), intervene(world), monitor(world),
                      request_clear(world))
    with pytest.raises(services.WarningError, match="reason"):
        services.warning_reject_clear(warning=warning, actor=world.leader, reason=" ")
    warning = services.warning_reject_clear(warning=warning, actor=world.leader, reason="Exams are next week.")
    assert warning.state == states.MONITORING
    assert warning.events.last().reason == "Exams are next week."


def test_an_intervention_says_what_it_is_and_the_page_says_so(world, frozen, client_for, english):
    # A red "in intervention" with nothing written: nobody could tell what was being done for the student.
    warning = through(world, observed(world), ack(world), assess(world))
    for blank in ({}, {"reason": " ", "clinical_note": "\n"}):
        with pytest.raises(services.WarningError, match="Say what the intervention is"):
            services.warning_start_intervention(warning=warning, actor=world.psych, **blank)
    url = reverse("alerts:act", args=[warning.pk, "start_intervention"])
    response = client_for(world.psych).post(url, {"clinical_note": "", "reason": ""})
    assert response.status_code == 400 and "Say what the intervention is" in response.content.decode()
    assert Warning.objects.get(pk=warning.pk).state == states.ASSESSED
    response = client_for(world.psych).post(url, {"clinical_note": "每周两次个体辅导", "reason": ""})
    assert response.status_code == 302 and Warning.objects.get(pk=warning.pk).state == states.INTERVENTION


def test_monitoring_can_go_back_to_intervention(world, frozen):
    warning = through(world, observed(world), ack(world), assess(world), intervene(world), monitor(world))
    assert services.warning_start_intervention(warning=warning, actor=world.psych,
                                               reason="Weekly counseling.").state == states.INTERVENTION


@pytest.mark.parametrize(("step", "state_label"), [
    (lambda w, world: services.warning_monitor(warning=w, actor=world.psych), "Raised"),
    (lambda w, world: services.warning_start_intervention(warning=w, actor=world.psych, reason="Weekly."), "Raised"),
    (lambda w, world: services.warning_request_clear(warning=w, actor=world.psych, reason="x", early_reason=EARLY), "Raised"),
    (lambda w, world: services.warning_approve_clear(warning=w, actor=world.leader), "Raised"),
    (lambda w, world: services.warning_return_to_normal(warning=w, actor=world.psych), "Raised"),
    (lambda w, world: services.warning_reopen(warning=w, actor=world.psych, reason="x"), "Raised"),
    (lambda w, world: services.warning_assess(warning=w, actor=world.psych, confirm=True), "Raised"),
])
def test_illegal_transitions_from_raised_are_refused_with_the_state(world, frozen, step, state_label):
    warning = observed(world)
    with pytest.raises(services.WarningError) as refused:
        step(warning, world)
    assert f"“{state_label}”" in str(refused.value)
    assert Warning.objects.get().state == states.RAISED and WarningEvent.objects.count() == 1


def test_acknowledging_twice_is_refused(world, frozen):
    warning = through(world, observed(world), ack(world))
    with pytest.raises(services.WarningError, match="already been acknowledged"):
        services.warning_acknowledge(warning=warning, actor=world.leader)


def test_head_teacher_cannot_acknowledge_at_the_school_or_assess(world, frozen):
    warning = observed(world)
    with pytest.raises(services.WarningError, match="district centre"):
        services.warning_acknowledge(warning=warning, actor=world.head)  # her own report went up to the school
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    with pytest.raises(PermissionDenied):
        services.warning_assess(warning=warning, actor=world.head, confirm=True)


def test_head_teacher_acknowledges_a_class_tier_yellow(world, frozen):
    from runxin.alerts.services import warning_raise_from_screening

    warning = warning_raise_from_screening(student=world.a1, result_id="r1", suggested_level="moderate", reasons=[],
                                           instrument_code="phq-a")
    assert warning.tier == states.CLASS
    assert services.warning_acknowledge(warning=warning, actor=world.head).state == states.ACKNOWLEDGED


def test_other_school_staff_and_outsiders_are_refused(world, frozen):
    warning = observed(world)
    for user in (world.other_psych, world.outsider, world.committee, world.city_admin):
        with pytest.raises(PermissionDenied):
            services.warning_acknowledge(warning=warning, actor=user)
    assert Warning.objects.get().state == states.RAISED


def test_dismissing_needs_a_reason_and_a_level_change_too(world, frozen, levels):
    warning = through(world, observed(world), ack(world))
    with pytest.raises(services.WarningError, match="reason"):
        services.warning_assess(warning=warning, actor=world.psych, confirm=False, reason="")
    with pytest.raises(services.WarningError, match="reason"):
        services.warning_assess(warning=warning, actor=world.psych, confirm=True, level=levels["orange"])
    assert Warning.objects.get().state == states.ACKNOWLEDGED


def test_change_level_during_handling(world, frozen, levels):
    warning = through(world, observed(world), ack(world), assess(world), intervene(world))
    with pytest.raises(services.WarningError, match="already has this level"):
        services.warning_change_level(warning=warning, actor=world.psych, level=levels["yellow"], reason="x")
    warning = services.warning_change_level(warning=warning, actor=world.psych, level=levels["orange"],
                                            reason="Stopped eating.")
    assert warning.level.code == "orange" and warning.ack_pending and warning.state == states.INTERVENTION
    lowered = services.warning_acknowledge(warning=warning, actor=world.leader)
    lowered = services.warning_change_level(warning=lowered, actor=world.psych, level=levels["yellow"],
                                            reason="Eating again.")
    assert lowered.level.code == "yellow" and not lowered.ack_pending


def test_change_level_is_refused_before_assessment(world, frozen, levels):
    warning = observed(world)
    with pytest.raises(services.WarningError, match="“Raised”"):
        services.warning_change_level(warning=warning, actor=world.psych, level=levels["red"], reason="x")


def test_return_to_normal_waits_for_every_follow_up(world, frozen):
    warning = through(world, observed(world), ack(world), assess(world), intervene(world), monitor(world),
                      request_clear(world))
    warning = services.warning_approve_clear(warning=warning, actor=world.leader)
    first = warning.follow_ups.order_by("due_on").first()
    services.warning_record_follow_up(warning=warning, actor=world.psych, follow_up_id=first.pk, note="Fine.")
    with pytest.raises(services.WarningError, match="still to be recorded"):
        services.warning_return_to_normal(warning=Warning.objects.get(), actor=world.psych)
    with pytest.raises(services.WarningError, match="already been recorded"):
        services.warning_record_follow_up(warning=Warning.objects.get(), actor=world.psych, follow_up_id=first.pk,
                                          note="Again.")
    with pytest.raises(services.WarningError, match="what the follow-up found"):
        services.warning_record_follow_up(warning=Warning.objects.get(), actor=world.psych,
                                          follow_up_id=FollowUp.objects.last().pk, note="")


def test_reopening_a_closed_warning_is_refused_when_another_is_open(world, frozen):
    warning = through(world, observed(world), ack(world))
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=False, reason="No risk.")
    observed(world)  # a new concern opens a new warning
    with pytest.raises(services.WarningError, match="already has an open warning"):
        services.warning_reopen(warning=warning, actor=world.psych, reason="Same issue.")


def test_referral_is_recorded_once_and_only_while_handled(world, frozen):
    warning = through(world, observed(world), ack(world), assess(world))
    warning = services.warning_record_referral(warning=warning, actor=world.psych, reason="To the district centre.")
    first = warning.referred_at
    frozen.advance(hours=2)
    warning = services.warning_record_referral(warning=warning, actor=world.psych, reason="To 市六院 green channel.")
    assert warning.referred_at == first and warning.events.filter(kind="referred").count() == 2
    with pytest.raises(services.WarningError, match="reason"):
        services.warning_record_referral(warning=warning, actor=world.psych, reason="")


def test_a_stale_copy_cannot_win_a_race(world, frozen):
    warning = observed(world)
    stale = Warning.objects.select_related("level", "student").get(pk=warning.pk)
    services.warning_acknowledge(warning=warning, actor=world.psych)
    with pytest.raises(services.WarningError, match="changed this warning a moment ago"):
        services.warning_acknowledge(warning=stale, actor=world.leader)
    assert WarningEvent.objects.filter(kind="acknowledged").count() == 1


def test_the_history_is_append_only_in_the_database(world, frozen):
    observed(world)
    event_id = WarningEvent.objects.get().pk
    from django.db import DatabaseError, transaction

    for sql in ("UPDATE alerts_warningevent SET reason = 'edited' WHERE id = %s",
                "DELETE FROM alerts_warningevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event_id])
    assert WarningEvent.objects.get().reason != "edited"

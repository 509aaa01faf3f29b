"""The crisis path at the people level (issue 8): the right person acts first, the ASQ's same-day safety
assessment, handing a case up to the district centre, peer anonymity, clearing safeguards and follow-up
visits while a warning is open."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from runxin.alerts import escalation, intake, responsibility, selectors, services, states
from runxin.alerts.models import Warning, WarningEvent
from runxin.notify.models import Notification

from .conftest import SHANGHAI

pytestmark = pytest.mark.django_db


def red(world, student=None, result="r"):
    return services.warning_raise_from_screening(student=student or world.a1, result_id=result,
                                                 suggested_level="critical", reasons=["item 9"],
                                                 instrument_code="phq-a")


def assessed(world, warning):
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    return services.warning_assess(warning=warning, actor=world.psych, confirm=True)


# ----------------------------------------------------------------------------- the right person first

def test_the_psychology_teacher_acknowledges_and_assesses_a_red(world, frozen):
    warning = red(world)
    assert "acknowledge" in selectors.available_actions(world.psych, warning, {"alert.handle", "alert.assess"})
    warning = assessed(world, warning)
    assert warning.state == states.ASSESSED


def test_a_new_red_is_first_in_her_work_ahead_of_older_overdue_cases(world, frozen, levels):
    from runxin.testing.factories import StudentFactory

    for i in range(8):  # months-old yellow cases, all overdue
        student = StudentFactory(school_class=world.class1)
        services.warning_raise_from_screening(student=student, result_id=f"old{i}", suggested_level="moderate",
                                              reasons=[], instrument_code="phq-a", raised_at=frozen() - dt.timedelta(days=90))
    frozen.advance(minutes=5)
    new = red(world)
    work = selectors.my_work(world.psych)
    assert work.act_now[0].warning.pk == new.pk and work.act_now[0].step == "acknowledge"
    assert work.act_now[0].critical
    assert len(work.act_now) == 9
    # The queue's first row is the same red.
    page = selectors.queue_page(selectors.queue(world.psych), 1)
    assert page.rows[0].pk == new.pk


def test_the_centre_watches_a_fresh_red_and_acts_once_it_is_escalated(world, frozen):
    warning = red(world)
    assert selectors.my_work(world.district_centre).act_now == []
    frozen.advance(minutes=31)
    escalation.escalation_sweep()
    work = selectors.my_work(world.district_centre)
    assert [(i.warning.pk, i.step) for i in work.act_now] == [(warning.pk, "acknowledge")]
    # The school still has it as its step too: escalation adds people.
    assert [i.warning.pk for i in selectors.my_work(world.psych).act_now] == [warning.pk]


def test_who_must_act_names_the_people_their_phones_and_the_deadline(world, frozen):
    world.psych.phone = "13800000001"
    world.psych.save()
    warning = red(world)
    step = responsibility.next_step(warning)
    assert step.step == "acknowledge" and step.due_at == frozen() + dt.timedelta(minutes=30)
    assert {(p.name, p.phone) for p in step.people} == {("psych", "13800000001"), ("leader", "")}
    assert "District centre" in step.at_deadline
    frozen.advance(minutes=31)
    escalation.escalation_sweep()
    warning.refresh_from_db()
    names = {p.name for p in responsibility.next_step(warning).people}
    assert names == {"psych", "leader", "east_centre"}


def test_the_warning_page_opens_with_who_acts_and_a_one_click_acknowledgement(world, client_for, frozen):
    warning = red(world)
    client = client_for(world.psych)
    body = client.get(reverse("alerts:detail", args=[warning.pk])).content.decode()
    assert body.index('id="who-acts"') < body.index('id="history"')
    assert 'id="acknowledge-now"' in body and "30 minutes left" in body
    head_body = client_for(world.head).get(reverse("alerts:detail", args=[warning.pk])).content.decode()
    assert 'id="acknowledge-now"' not in head_body and "You cannot take this step yourself" in head_body


def test_home_page_opens_with_needs_me_now(world, client_for, frozen):
    warning = red(world)
    body = client_for(world.psych).get("/").content.decode()
    assert body.index('id="my-work"') < body.index("Your roles")
    assert f'data-warning="{warning.pk}"' in body
    assert 'id="my-work"' not in client_for(world.parent).get("/").content.decode()


def test_approvals_and_overdue_follow_ups_are_listed(world, frozen, levels):
    warning = intake.warning_report(actor=world.psych, student=world.a1, source="observation", summary="x",
                                      level=levels["orange"], urgency="concern")
    warning = assessed(world, warning)
    warning = services.warning_start_intervention(warning=warning, actor=world.psych, reason="Weekly counseling.")
    warning = services.warning_monitor(warning=warning, actor=world.psych)
    frozen.advance(days=7)
    warning = services.warning_request_clear(warning=warning, actor=world.psych, reason="Stable.")
    work = selectors.my_work(world.leader)
    assert [i.warning.pk for i in work.approvals] == [warning.pk]
    assert selectors.my_work(world.psych).approvals == []  # nobody approves their own request
    services.warning_approve_clear(warning=warning, actor=world.leader)
    frozen.advance(days=15)
    assert [f.warning_id for f in selectors.my_work(world.psych).follow_ups] == [warning.pk]


def test_the_unread_count_is_beside_the_inbox(world, client_for, frozen):
    red(world)
    body = client_for(world.psych).get("/").content.decode()
    assert 'class="count-badge"' in body.split("</nav>")[0]


# ------------------------------------------------------------------------------------- ASQ pathway

@pytest.mark.parametrize("hour,minute,due", [(10, 0, (14, 0)), (13, 0, (16, 30)), (16, 10, (17, 10)),
                                             (20, 0, (21, 0))])
def test_asq_non_acute_is_due_the_same_day_before_school_ends(world, frozen, hour, minute, due):
    at = dt.datetime(2026, 10, 9, hour, minute, tzinfo=SHANGHAI)
    warning = services.warning_raise_from_screening(student=world.a1, result_id="asq1", suggested_level="high",
                                                    reasons=["non-acute"], instrument_code="asq", raised_at=at)
    assert warning.level.code == "orange"
    assert warning.due_at.astimezone(SHANGHAI).time() == dt.time(*due)
    assert warning.due_at.date() == at.date() or hour >= 16


def test_asq_assessment_stays_due_today_after_acknowledgement(world, frozen):
    warning = services.warning_raise_from_screening(student=world.a1, result_id="asq1", suggested_level="high",
                                                    reasons=[], instrument_code="asq", raised_at=frozen())
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    # Orange's assessment clock is a day; the ASQ pathway needs it before the student leaves school.
    assert warning.due_at == dt.datetime(2026, 10, 9, 16, 30, tzinfo=SHANGHAI)


def test_other_instruments_keep_their_level_clocks(world, frozen):
    warning = services.warning_raise_from_screening(student=world.a1, result_id="p1", suggested_level="high",
                                                    reasons=[], instrument_code="phq-a")
    assert warning.due_at == frozen() + dt.timedelta(minutes=warning.level.ack_minutes) and warning.assess_by is None


# ------------------------------------------------------------------------------- handing up (服务升级)

def test_the_school_hands_a_case_up_and_the_centre_accepts_it(world, frozen):
    warning = assessed(world, red(world))
    with pytest.raises(PermissionDenied):
        services.warning_hand_up(warning=warning, actor=world.head, reason="x")
    warning = services.warning_hand_up(warning=warning, actor=world.leader, reason="Family crisis; needs the centre.")
    assert warning.tier == states.DISTRICT and warning.handed_up_at and not warning.hand_up_accepted_at
    assert responsibility.next_step(warning).step == "accept_hand_up"
    told = set(Notification.objects.filter(kind="warning.handed_up").values_list("recipient__username", flat=True))
    assert told == {"east_centre"}
    assert [i.step for i in selectors.my_work(world.district_centre).act_now] == ["accept_hand_up"]
    with pytest.raises(services.WarningError):
        services.warning_accept_hand_up(warning=warning, actor=world.psych)
    warning = services.warning_accept_hand_up(warning=warning, actor=world.district_centre, reason="Taken over.")
    assert warning.hand_up_accepted_by == world.district_centre
    # The card no longer says the school keeps the case alone.
    assert "the district centre holds the case" in responsibility.next_step(warning).at_deadline
    told = set(Notification.objects.filter(kind="warning.hand_up_accepted")
               .values_list("recipient__username", flat=True))
    assert {"psych", "leader", "head"} <= told  # the school stays in the loop
    # The school keeps working the case.
    warning = services.warning_start_intervention(warning=warning, actor=world.psych, reason="Weekly counseling.")
    assert warning.state == states.INTERVENTION
    kinds = list(warning.events.values_list("kind", flat=True))
    assert "handed_up" in kinds and "hand_up_accepted" in kinds and "escalated" not in kinds


def test_a_case_is_handed_up_only_after_assessment_and_once(world, frozen):
    warning = red(world)
    with pytest.raises(services.WarningError, match="after it has been assessed"):
        services.warning_hand_up(warning=warning, actor=world.psych, reason="x")
    warning = services.warning_hand_up(warning=assessed(world, warning), actor=world.psych, reason="x")
    with pytest.raises(services.WarningError, match="already"):
        services.warning_hand_up(warning=warning, actor=world.leader, reason="x")


def test_an_unaccepted_hand_up_moves_on_to_the_city_on_the_timer(world, frozen):
    warning = services.warning_hand_up(warning=assessed(world, red(world)), actor=world.psych, reason="x")
    frozen.advance(minutes=31)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert warning.tier == states.CITY


def test_hand_up_through_the_page(world, client_for, frozen):
    warning = assessed(world, red(world))
    response = client_for(world.psych).post(reverse("alerts:act", args=[warning.pk, "hand_up"]), {"reason": ""})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    client_for(world.psych).post(reverse("alerts:act", args=[warning.pk, "hand_up"]), {"reason": "Complex."})
    body = client_for(world.district_centre).get(reverse("alerts:detail", args=[warning.pk])).content.decode()
    assert 'id="accept-hand-up"' in body
    client_for(world.district_centre).post(reverse("alerts:act", args=[warning.pk, "accept_hand_up"]), {})
    assert Warning.objects.get().hand_up_accepted_at is not None


def test_while_the_centre_decides_the_school_goes_on_without_the_centres_clock(world, client_for, frozen):
    # The hand-up's deadline is the centre's (accept by …): the psychology teacher's list showed it as her own
    # countdown to start the intervention, and her warning page said she could not act while offering the form.
    warning = services.warning_hand_up(warning=assessed(world, red(world)), actor=world.psych, reason="Complex.")
    mine = selectors.my_work(world.psych).act_now
    assert [(item.warning.pk, item.step, item.due_at, item.overdue) for item in mine] == [
        (warning.pk, "start_intervention", None, False)]
    centre = selectors.my_work(world.district_centre).act_now
    assert [(item.step, item.due_at) for item in centre] == [("accept_hand_up", warning.due_at)]
    home = client_for(world.psych).get(reverse("front:home")).content.decode()
    assert "waiting for the district centre to accept" in home
    body = client_for(world.psych).get(reverse("alerts:detail", args=[warning.pk])).content.decode()
    assert 'id="school-goes-on"' in body and "You cannot take this step yourself" not in body
    assert reverse("alerts:act", args=[warning.pk, "start_intervention"]) in body
    # The head teacher, who takes no professional step, is still told that others act.
    body = client_for(world.head).get(reverse("alerts:detail", args=[warning.pk])).content.decode()
    assert 'id="school-goes-on"' not in body and "You cannot take this step yourself" in body


# ---------------------------------------------------------------------------------- peer anonymity

def test_a_peer_reporter_is_seen_only_by_the_care_team(world, client_for, frozen):
    intake.peer_report(actor=world.committee, classmate_name="张一", summary="她最近很难过", urgency="today")
    warning = Warning.objects.get()
    assert WarningEvent.objects.get(kind="raised").actor_protected
    url = reverse("alerts:detail", args=[warning.pk])
    for user in (world.head, world.leader):
        body = client_for(user).get(url).content.decode()
        assert "committee" not in body and "name protected" in body
    for user in (world.psych,):
        assert "committee" in client_for(user).get(url).content.decode()
    assert not Notification.objects.filter(body__contains="committee").exists()
    assert not Notification.objects.filter(recipient=world.committee).exists()


# -------------------------------------------------------------------------------- clearing safeguards

def monitored(world, frozen, levels, level="orange"):
    warning = intake.warning_report(actor=world.psych, student=world.a1, source="observation", summary="x",
                                      level=levels[level], urgency="concern")
    warning = assessed(world, warning)
    warning = services.warning_start_intervention(warning=warning, actor=world.psych, reason="Weekly counseling.")
    return services.warning_monitor(warning=warning, actor=world.psych)


def test_clearing_waits_for_the_minimum_time_in_monitoring(world, frozen, levels):
    warning = monitored(world, frozen, levels)
    frozen.advance(days=3)
    with pytest.raises(services.WarningError, match="at least 7 days"):
        services.warning_request_clear(warning=warning, actor=world.psych, reason="Better.")
    assert Warning.objects.get().state == states.MONITORING
    warning = services.warning_request_clear(warning=warning, actor=world.psych, reason="Better.",
                                             early_reason="Moving school; the new school takes over.")
    event = warning.events.get(kind="clear_requested")
    assert "3 of 7 days" in event.reason and "Moving school" in event.reason


def test_after_the_minimum_no_reason_for_asking_early_is_needed(world, frozen, levels):
    warning = monitored(world, frozen, levels)
    frozen.advance(days=7)
    assert services.warning_request_clear(warning=warning, actor=world.psych, reason="Better.").state == \
        states.CLEAR_REQUESTED


def test_the_approval_card_shows_monitoring_assessment_and_visits(world, client_for, frozen, levels):
    warning = monitored(world, frozen, levels)
    frozen.advance(days=2)
    services.warning_record_visit(warning=warning, actor=world.head, note="Home visit: calmer.")
    frozen.advance(days=8)
    warning = services.warning_request_clear(warning=Warning.objects.get(), actor=world.psych, reason="Stable.")
    body = client_for(world.leader).get(reverse("alerts:detail", args=[warning.pk])).content.decode()
    card = body.split('id="clearing"')[1].split("</div>")[0]
    assert 'id="days-monitored">10' in card and "at least 7" in card
    assert "Follow-up visits done" in card and ">1 ·" in card.replace("\n", "")
    assert "Stable." in card


def test_a_visit_while_open_counts_as_revisited(world, frozen, levels):
    warning = monitored(world, frozen, levels)
    warning = services.warning_record_visit(warning=warning, actor=world.head, note="Talked with the mother.")
    assert warning.revisited_at is not None and warning.follow_ups.get().done_by == world.head
    with pytest.raises(services.WarningError):
        services.warning_record_visit(warning=warning, actor=world.head, note="")


def test_a_level_sets_its_minimum(world, client_for, levels):
    lv = levels["yellow"]
    assert (levels["red"].min_monitoring_days, levels["orange"].min_monitoring_days, lv.min_monitoring_days) == (14, 7, 3)
    assert "psych_teacher" in levels["red"].ack_roles


# ------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("path", ["/alerts/99999999999999999999999/", "/alerts/9223372036854775808/",
                                  "/alerts/?page=99999999999999999999", "/alerts/?page=-3", "/alerts/?page=abc"])
def test_huge_or_malformed_numbers_are_not_500(world, client_for, path):
    status = client_for(world.psych).get(path).status_code
    assert status in (200, 404)


def test_the_queue_and_needs_me_now_are_read_audited(world, client_for, frozen):
    from runxin.access.models import ReadEvent

    warning = red(world)
    client_for(world.psych).get(reverse("alerts:queue"))
    assert ReadEvent.objects.filter(user=world.psych, record_type="alerts.queue", student=world.a1,
                                    record_id=str(warning.pk)).exists()
    client_for(world.psych).get("/")
    assert ReadEvent.objects.filter(user=world.psych, record_type="alerts.my_work", student=world.a1).exists()

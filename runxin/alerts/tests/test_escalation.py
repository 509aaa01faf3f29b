"""Escalation on the timer, with an injected clock: who is told, idempotence, the top of the network."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from runxin.alerts import escalation, intake, services, states
from runxin.alerts.models import Warning, WarningEvent
from runxin.notify.models import Notification

pytestmark = pytest.mark.django_db


def red_from_screening(world, student=None):
    return services.warning_raise_from_screening(student=student or world.a1, result_id=f"r-{(student or world.a1).pk}",
                                                 suggested_level="critical", reasons=["item 9"], instrument_code="phq-a")


def test_nothing_escalates_before_its_time(world, frozen):
    red_from_screening(world)
    frozen.advance(minutes=29)
    assert escalation.escalation_sweep() == 0
    assert Warning.objects.get().tier == states.SCHOOL


def test_an_unacknowledged_red_goes_to_the_district_then_the_city(world, frozen):
    warning = red_from_screening(world)
    frozen.advance(minutes=30)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert (warning.tier, warning.ack_pending, warning.escalation_count) == (states.DISTRICT, True, 1)
    assert warning.due_at == frozen() + dt.timedelta(minutes=30) and warning.escalated_at == frozen()
    event = WarningEvent.objects.get(kind="escalated")
    assert (event.actor, event.from_tier, event.to_tier, event.from_state, event.to_state) == (
        None, states.SCHOOL, states.DISTRICT, states.RAISED, states.RAISED)
    told = Notification.objects.filter(kind__startswith="warning.escalated")
    assert {(n.recipient.username, n.channel, n.kind) for n in told} == {
        ("east_centre", "inbox", "warning.escalated"), ("east_centre", "email", "warning.escalated.digest"),
        ("east_centre", "sms", "warning.escalated.digest")}
    assert told.get(channel="sms").url == "/alerts/?mine=1"
    inbox = told.get(channel="inbox")
    assert inbox.url == f"/alerts/{warning.pk}/" and inbox.sent_at is not None and "东区第一中学" in inbox.subject
    assert world.a1.name not in inbox.subject + inbox.body  # no names leave through notifications

    frozen.advance(minutes=30)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert warning.tier == states.CITY
    assert Notification.objects.filter(kind__startswith="warning.escalated", recipient=world.city_centre).count() == 3
    frozen.advance(days=2)
    assert escalation.escalation_sweep() == 0  # the city is the top: it stays overdue
    warning.refresh_from_db()
    assert warning.tier == states.CITY and warning.is_overdue(frozen())


def test_a_sweep_is_idempotent(world, frozen):
    red_from_screening(world)
    frozen.advance(hours=1)
    assert escalation.escalation_sweep() == 1
    assert escalation.escalation_sweep() == 0
    assert escalation.escalation_sweep(now=frozen()) == 0
    assert WarningEvent.objects.filter(kind="escalated").count() == 1
    assert Notification.objects.filter(kind__startswith="warning.escalated").count() == 3


def test_acknowledging_at_the_new_tier_stops_the_clock_there(world, frozen):
    warning = red_from_screening(world)
    frozen.advance(minutes=31)
    escalation.escalation_sweep()
    warning.refresh_from_db()
    warning = services.warning_acknowledge(warning=warning, actor=world.district_centre)
    assert (warning.state, warning.tier, warning.ack_pending) == (states.ACKNOWLEDGED, states.DISTRICT, False)
    assert warning.due_at == frozen() + dt.timedelta(minutes=warning.level.assess_minutes)
    frozen.advance(minutes=warning.level.assess_minutes - 1)
    assert escalation.escalation_sweep() == 0


def test_escalation_adds_people_and_the_school_team_keeps_the_case(world, frozen):
    """Issue 8: a case escalated on the timer stays workable by the school team; the centre is added."""
    warning = red_from_screening(world)
    frozen.advance(minutes=31)
    escalation.escalation_sweep()
    warning.refresh_from_db()
    assert warning.tier == states.DISTRICT
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    assert (warning.state, warning.tier, warning.ack_pending) == (states.ACKNOWLEDGED, states.DISTRICT, False)
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=True)
    assert warning.state == states.ASSESSED


def test_a_head_teacher_still_may_not_acknowledge_a_red(world, frozen):
    # Red's policy names the psychology teacher and the school leader; the head teacher reports and watches.
    warning = red_from_screening(world)
    frozen.advance(minutes=31)
    escalation.escalation_sweep()
    warning.refresh_from_db()
    with pytest.raises(services.WarningError):
        services.warning_acknowledge(warning=warning, actor=world.head)


def test_yellow_goes_from_the_class_to_the_school(world, frozen):
    warning = services.warning_raise_from_screening(student=world.a1, result_id="y", suggested_level="moderate",
                                                    reasons=[], instrument_code="phq-a")
    assert warning.tier == states.CLASS
    frozen.advance(days=1)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert warning.tier == states.SCHOOL
    told = {n.recipient.username for n in Notification.objects.filter(kind="warning.escalated")}
    assert told == {"psych", "leader"}  # yellow goes by inbox only
    assert set(Notification.objects.filter(kind="warning.escalated").values_list("channel", flat=True)) == {"inbox"}


def test_not_progressed_in_time_escalates_too(world, frozen, levels):
    warning = intake.warning_report(actor=world.psych, student=world.a1, source="observation",
                                      summary="Self-harm marks.", level=levels["orange"])
    warning = services.warning_acknowledge(warning=warning, actor=world.leader)
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=True)
    frozen.advance(minutes=levels["orange"].progress_minutes)
    assert escalation.escalation_sweep() == 1
    warning.refresh_from_db()
    assert (warning.tier, warning.state, warning.ack_pending) == (states.DISTRICT, states.ASSESSED, True)


def test_warnings_under_intervention_run_no_clock(world, frozen, levels):
    warning = intake.warning_report(actor=world.psych, student=world.a1, source="observation",
                                      summary="x", level=levels["orange"])
    warning = services.warning_acknowledge(warning=warning, actor=world.leader)
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=True)
    services.warning_start_intervention(warning=warning, actor=world.psych, reason="Weekly counseling.")
    frozen.advance(days=60)
    assert escalation.escalation_sweep() == 0


def test_one_sweep_moves_many_in_a_fixed_number_of_queries(world, frozen, django_assert_max_num_queries):
    from runxin.testing.factories import StudentFactory

    students = [StudentFactory(school_class=world.class1) for _ in range(25)] + [world.w1]
    for student in students:
        red_from_screening(world, student)
    frozen.advance(hours=1)
    with django_assert_max_num_queries(24):  # per level and tier, never per warning (+4: the follow-ups' two steps)
        assert escalation.escalation_sweep() == 26
    assert Warning.objects.filter(tier=states.DISTRICT).count() == 26
    # A backlog is one e-mail and one SMS to the district centre, not one per warning; the inbox has the first
    # twenty one by one and a digest of all 25.
    east = Notification.objects.filter(recipient=world.district_centre, kind__startswith="warning.escalated")
    assert east.filter(channel="inbox", kind="warning.escalated").count() == 20
    assert east.filter(channel="inbox", kind="warning.escalated.digest").count() == 1
    digest = east.get(channel="sms")
    assert digest.subject.endswith(" 25") and digest.kind == "warning.escalated.digest"
    west = Notification.objects.filter(kind="warning.escalated", ref=f"warning:{Warning.objects.get(student=world.w1).pk}")
    assert west.count() == 0  # the west district has no centre staff in the world: nobody to tell, still escalated


def test_escalation_emails_are_delivered_once_after_commit(world, frozen, django_capture_on_commit_callbacks):
    world.district_centre.email = "east@example.cn"
    world.district_centre.save()
    red_from_screening(world)
    frozen.advance(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        escalation.escalation_sweep()
    # The raise told the district centre too (red is visible to centres at once): one e-mail for each.
    to_centre = [m.subject for m in mail.outbox if m.to == ["east@example.cn"]]
    assert len(to_centre) == 2 and len([s for s in to_centre if "escalated" in s]) == 1
    email = Notification.objects.get(kind="warning.escalated.digest", channel="email")
    assert email.sent_at is not None and email.attempts == 1


def test_the_command_runs_a_sweep_at_a_given_time(world, frozen, capsys):
    warning = red_from_screening(world)
    later = (warning.raised_at + dt.timedelta(minutes=45)).astimezone(dt.UTC).isoformat()
    call_command("escalate", "--at", later)
    assert "escalated 1 warning(s)" in capsys.readouterr().out
    warning.refresh_from_db()
    assert warning.tier == states.DISTRICT


def test_the_command_refuses_a_bad_time(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("escalate", "--at", "tomorrow morning")


def test_a_large_backlog_reaches_each_inbox_as_the_first_twenty_and_a_digest(world, frozen, levels):
    from runxin.alerts.escalation import INBOX_PER_SWEEP
    from runxin.testing.factories import StudentFactory

    for _ in range(INBOX_PER_SWEEP + 5):
        intake.warning_report(actor=world.psych, student=StudentFactory(school_class=world.class2),
                                source="observation", summary="x", level=levels["orange"])
    frozen.advance(hours=5)
    assert escalation.escalation_sweep() == INBOX_PER_SWEEP + 5
    inbox = Notification.objects.filter(recipient=world.district_centre, channel="inbox")
    assert inbox.filter(kind="warning.escalated").count() == INBOX_PER_SWEEP
    digest = inbox.get(kind="warning.escalated.digest")
    assert digest.subject.endswith(f" {INBOX_PER_SWEEP + 5}") and digest.sent_at is not None
    assert digest.url == "/alerts/?mine=1"
    assert Notification.objects.filter(recipient=world.district_centre, channel="email").count() == 1

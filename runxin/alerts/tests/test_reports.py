"""Raising a warning from every source, and a second report joining the open warning."""

import pytest
from django.core.exceptions import PermissionDenied

from runxin.alerts import intake, services, states
from runxin.alerts.models import Warning, WarningReport
from runxin.notify.models import Notification

pytestmark = pytest.mark.django_db

# These tests are about other steps: they ask for clearing before the minimum time in monitoring.
EARLY = "Asked early on purpose in this test."


def test_head_teacher_observation_goes_to_the_school_and_tells_it(world, frozen):
    warning = intake.warning_report(actor=world.head, student=world.a1, source="observation",
                                      summary="Withdrawn, skipped meals.")
    assert (warning.state, warning.tier, warning.raised_by, warning.source) == (
        states.RAISED, states.SCHOOL, world.head, "observation")
    report = warning.reports.get()
    assert (report.reported_by, report.summary) == (world.head, "Withdrawn, skipped meals.")
    told = set(Notification.objects.filter(kind="warning.raised").values_list("recipient__username", flat=True))
    assert told == {"psych", "leader"}  # the reporter is not told about their own report


@pytest.mark.parametrize("source", ["police", "court", "procuratorate", "community", "hospital"])
def test_district_staff_enter_notices_from_outside_bodies(world, frozen, source):
    with pytest.raises(services.WarningError, match="Name the"):
        intake.warning_report(actor=world.district_centre, student=world.a1, source=source, summary="Notice.")
    warning = intake.warning_report(actor=world.district_centre, student=world.a1, source=source,
                                      summary="Notice received.", reporter_name="东区派出所")
    assert warning.source == source and warning.reports.get().reporter_name == "东区派出所"


def test_hotline_call(world, frozen, levels):
    warning = intake.warning_report(actor=world.hotline, student=world.b1, source="hotline",
                                      summary="Caller says he wants to die.", level=levels["red"])
    assert warning.level.code == "red" and warning.source == "hotline"


def test_sources_are_limited_by_role(world, frozen):
    assert intake.sources_for(world.head) == ["observation", "parent"]
    with pytest.raises(services.WarningError, match="cannot enter a report of this kind"):
        intake.warning_report(actor=world.head, student=world.a1, source="police", summary="x", reporter_name="y")


def test_a_report_needs_a_summary_and_a_student_in_scope(world, frozen):
    with pytest.raises(services.WarningError, match="Describe"):
        intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="   ")
    with pytest.raises(PermissionDenied):
        intake.warning_report(actor=world.head, student=world.b1, source="observation", summary="x")
    with pytest.raises(PermissionDenied):
        intake.warning_report(actor=world.outsider, student=world.a1, source="observation", summary="x")
    assert not Warning.objects.exists()


def test_a_second_report_joins_the_open_warning(world, frozen):
    first = intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="One.")
    second = intake.warning_report(actor=world.psych, student=world.a1, source="parent", summary="Mother called.")
    assert first.pk == second.pk and Warning.objects.count() == 1 and WarningReport.objects.count() == 2
    assert list(second.events.values_list("kind", flat=True)) == ["raised", "report_joined"]


def test_a_report_during_continued_attention_reopens_the_warning(world, frozen):
    warning = intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="One.")
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    warning = services.warning_assess(warning=warning, actor=world.psych, confirm=True)
    warning = services.warning_start_intervention(warning=warning, actor=world.psych, reason="Weekly counseling.")
    warning = services.warning_monitor(warning=warning, actor=world.psych)
    warning = services.warning_request_clear(warning=warning, actor=world.psych, reason="Better.", early_reason=EARLY)
    warning = services.warning_approve_clear(warning=warning, actor=world.leader)
    again = intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="Again.")
    assert again.pk == warning.pk and again.state == states.RAISED and again.reopen_count == 1
    assert list(again.events.values_list("kind", flat=True))[-2:] == ["report_joined", "reopened"]


def test_after_closing_a_new_report_opens_a_new_warning(world, frozen):
    warning = intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="One.")
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    services.warning_assess(warning=warning, actor=world.psych, confirm=False, reason="No risk.")
    fresh = intake.warning_report(actor=world.head, student=world.a1, source="observation", summary="Two.")
    assert fresh.pk != warning.pk and Warning.objects.count() == 2


def test_peer_report_reaches_the_class_and_returns_nothing(world, frozen):
    outcome = intake.peer_report(actor=world.committee, classmate_name=" 张一 ", summary="Talks about disappearing.",
                                   urgency="concern")
    # The reporter learns only whether to act now, never which warning or what happens to it.
    assert (outcome.rank, outcome.phrases) == ("entry", ())
    warning = Warning.objects.get()
    assert (warning.student, warning.source, warning.tier) == (world.a1, "peer", states.CLASS)
    told = set(Notification.objects.filter(kind="warning.raised").values_list("recipient__username", flat=True))
    assert told == {"head", "psych", "leader"}


def test_peer_report_only_about_the_own_class(world, frozen):
    with pytest.raises(services.WarningError, match="Nobody in your class"):
        intake.peer_report(actor=world.committee, classmate_name="王三", summary="x")  # class 2
    with pytest.raises(PermissionDenied):
        intake.peer_report(actor=world.head, classmate_name="张一", summary="x")


def test_peer_report_with_a_shared_name_asks_to_tell_the_head_teacher(world, frozen):
    from runxin.testing.factories import StudentFactory

    StudentFactory(name="张一", school_class=world.class1)
    with pytest.raises(services.WarningError, match="share this name"):
        intake.peer_report(actor=world.committee, classmate_name="张一", summary="x")


def test_parent_reports_about_their_own_child_only(world, frozen):
    intake.parent_report(actor=world.parent, student_id=world.a1.pk, summary="She stopped talking to us.")
    assert Warning.objects.get().source == "parent"
    with pytest.raises(PermissionDenied):
        intake.parent_report(actor=world.parent, student_id=world.b1.pk, summary="x")


def test_student_asks_for_help(world, frozen):
    intake.self_help_request(actor=world.student_user)
    warning = Warning.objects.get()
    # Asking without saying how urgent counts as "today" (the second level), never as a plain concern.
    assert (warning.student, warning.source, warning.level.code) == (world.a1, "self", "orange")
    with pytest.raises(PermissionDenied):
        intake.self_help_request(actor=world.parent)

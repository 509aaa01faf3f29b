"""The daily key-case report (一日一报): contents, page, PDF, e-mail, and sending exactly once."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from runxin.alerts import daily, escalation, intake, scheduler, services
from runxin.alerts.models import DailyReport, ScheduledJob
from runxin.notify.models import Notification

from .conftest import SHANGHAI

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 10)  # the report of Saturday 07:00 covers Friday 07:00 → Saturday 07:00


@pytest.fixture
def day_of_events(world, frozen, levels):
    """Friday: a red raised at 10:00 and escalated at 10:31; a yellow raised and cleared; an old orange overdue."""
    frozen.current = dt.datetime(2026, 10, 5, 9, 0, tzinfo=SHANGHAI)
    services.warning_raise_from_screening(student=world.b1, result_id="old", suggested_level="high", reasons=[],
                                          instrument_code="phq-a")
    frozen.current = dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    services.warning_raise_from_screening(student=world.a1, result_id="red", suggested_level="critical",
                                          reasons=[], instrument_code="phq-a")
    frozen.advance(minutes=31)
    escalation.escalation_sweep()
    yellow = intake.warning_report(actor=world.psych, student=world.a2, source="observation", summary="x")
    yellow = services.warning_acknowledge(warning=yellow, actor=world.psych)
    yellow = services.warning_assess(warning=yellow, actor=world.psych, confirm=True)
    yellow = services.warning_start_intervention(warning=yellow, actor=world.psych, reason="Weekly counseling.")
    yellow = services.warning_monitor(warning=yellow, actor=world.psych)
    yellow = services.warning_request_clear(warning=yellow, actor=world.psych, reason="Misread.",
                                             early_reason="A misread answer.")
    services.warning_approve_clear(warning=yellow, actor=world.leader)
    services.warning_raise_from_screening(student=world.w1, result_id="west", suggested_level="moderate",
                                          reasons=[], instrument_code="phq-a")
    frozen.current = dt.datetime(2026, 10, 10, 7, 5, tzinfo=SHANGHAI)
    return world


def names(rows):
    return sorted(r.student_name for r in rows)


def test_school_report_sections(day_of_events):
    report = daily.build_one(day_of_events.school, DAY)
    assert names(report.sections["new"]) == ["张一", "李二"]
    # Both the red and the old orange (unacknowledged since Monday) went up at the 10:31 sweep, and are
    # overdue again at the district by 07:00 Saturday.
    assert names(report.sections["escalated"]) == ["张一", "王三"]
    assert names(report.sections["overdue"]) == ["张一", "王三"]
    assert names(report.sections["cleared"]) == ["李二"]
    assert "赵四" not in str(report.sections)


def test_district_report_lists_only_what_the_centre_handles_and_counts_all(day_of_events):
    report = daily.build_one(day_of_events.east, DAY)
    assert names(report.sections["new"]) == ["张一"]  # the red; the yellow stays with the school
    assert report.by_school[day_of_events.school.pk]["new"] == 2


def test_page_pdf_and_their_audit(day_of_events, client_for):
    from runxin.access.models import ReadEvent

    client = client_for(day_of_events.psych)
    body = client.get(reverse("alerts:daily", args=[day_of_events.school.pk]), {"day": DAY.isoformat()}).content.decode()
    assert 'id="count-new">2<' in body and "张一" in body
    pdf = client.get(reverse("alerts:daily_pdf", args=[day_of_events.school.pk]), {"day": DAY.isoformat()})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF") and len(pdf.content) > 1500
    assert ReadEvent.objects.filter(record_type="alerts.daily_report", user=day_of_events.psych).count() >= 3


def test_daily_report_access(day_of_events, client_for):
    world = day_of_events
    assert client_for(world.head).get(reverse("alerts:daily", args=[world.school.pk])).status_code == 403
    assert client_for(world.other_psych).get(reverse("alerts:daily", args=[world.school.pk])).status_code == 404
    assert client_for(world.district_centre).get(reverse("alerts:daily", args=[world.school.pk])).status_code == 404
    assert client_for(world.district_centre).get(reverse("alerts:daily", args=[world.east.pk])).status_code == 200
    assert client_for(world.psych).get(reverse("alerts:daily", args=[world.school.pk]),
                                       {"day": "yesterday"}).status_code == 400


def test_sent_once_to_the_people_responsible_without_names(day_of_events, frozen, django_capture_on_commit_callbacks):
    world = day_of_events
    for user, address in ((world.psych, "psych@example.cn"), (world.leader, "leader@example.cn"),
                          (world.district_centre, "east@example.cn")):
        user.email = address
        user.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = daily.run_if_due()
    assert result["sent"] == DailyReport.objects.count() == 5  # two schools, two districts, the city
    recorded = Notification.objects.filter(kind="daily_report").count()
    reports = [m for m in mail.outbox if "一日一报" in m.subject]
    assert sorted(m.to[0] for m in reports) == ["east@example.cn", "leader@example.cn", "psych@example.cn"]
    school_mail = next(m for m in reports if m.to == ["psych@example.cn"])
    assert "东区第一中学" in school_mail.subject and "张一" not in school_mail.body and "#" in school_mail.body
    assert f"/alerts/daily/{world.school.pk}/?day=2026-10-10" in school_mail.body
    # A restart, a second scheduler, the command: nothing is sent again.
    assert daily.run_if_due() is None
    frozen.advance(hours=3)
    assert daily.run_if_due() is None
    call_command("daily_report", "--day", "2026-10-10")
    assert Notification.objects.filter(kind="daily_report").count() == recorded
    assert ScheduledJob.objects.get(name="daily_report").last_slot == "2026-10-10"


def test_nothing_before_seven(world, frozen):
    frozen.current = dt.datetime(2026, 10, 10, 6, 59, tzinfo=SHANGHAI)
    assert daily.run_if_due() is None and not DailyReport.objects.exists()


def test_a_zero_report_is_still_sent(world, frozen):
    frozen.current = dt.datetime(2026, 10, 10, 7, 0, tzinfo=SHANGHAI)
    daily.run_if_due()
    assert DailyReport.objects.get(unit=world.school).counts == {"new": 0, "escalated": 0, "overdue": 0, "cleared": 0,
                                                                  "open": 0}


def test_scheduler_tick_runs_the_sweep_the_report_and_delivery(day_of_events, frozen):
    result = scheduler.tick()
    assert result["daily"]["sent"] == 5 and "sent" in result["delivered"]
    again = scheduler.tick()
    assert again["daily"] is None and again["escalated"] == 0


def test_scheduler_survives_a_failing_tick(monkeypatch, world):
    calls = []

    def broken(now=None):
        calls.append(1)
        raise RuntimeError("database went away")

    monkeypatch.setattr(scheduler, "tick", broken)
    scheduler.run(ticks=2, sleep=lambda s: None)
    assert len(calls) == 2


def test_scheduler_and_delivery_commands_run_once(day_of_events, capsys):
    call_command("run_scheduler", "--once")
    assert "'daily'" in capsys.readouterr().out and DailyReport.objects.count() == 5
    call_command("deliver_notifications")
    assert "'sent': 0" in capsys.readouterr().out  # everything was delivered in the tick already

"""The embedded scheduler runs Celery beat's timetable (settings.CELERY_BEAT_SCHEDULE, issue 10): every entry at
its own interval or crontab time, nothing else, with an injected clock."""

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab

from runxin.alerts import scheduler

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, start):
        self.current = start

    def __call__(self):
        return self.current


def simulate(beat_schedule, start, *, seconds, step=5):
    """Run a Scheduler over `seconds` of fake time; (task name, time) for every job it ran."""
    clock = Clock(start)
    ran = []
    timetable = scheduler.Scheduler(beat_schedule, now=clock, run_task=lambda e: ran.append((e.task, clock())))
    while clock() <= start + dt.timedelta(seconds=seconds):
        timetable.run_due()
        clock.current += dt.timedelta(seconds=step)
    return ran


def test_every_beat_entry_runs_at_its_interval_and_nothing_else(settings):
    start = dt.datetime(2026, 10, 9, 6, 30, tzinfo=SHANGHAI)
    ran = simulate(settings.CELERY_BEAT_SCHEDULE, start, seconds=3600)
    counts = Counter(task for task, _at in ran)
    expected = {}
    for line in settings.CELERY_BEAT_SCHEDULE.values():
        every = line["schedule"]
        if isinstance(every, crontab):
            continue
        # Once at start (catching up), then every `every` seconds for the hour.
        expected[line["task"]] = 1 + int(3600 // float(every))
    assert {t: counts[t] for t in expected} == expected
    assert set(counts) == {line["task"] for line in settings.CELERY_BEAT_SCHEDULE.values()}  # nothing else
    # The old loop ran everything every 60 s: delivery is now every 30 s, screening's monitor every 300 s.
    assert counts["runxin.notify.tasks.deliver_notifications"] == 121
    assert counts["runxin.screening.tasks.monitor"] == 13
    # Crontab entries: the daily reports at start and at 07:00, not every minute.
    daily = [at for task, at in ran if task == "runxin.alerts.tasks.daily_reports"]
    assert daily == [start, dt.datetime(2026, 10, 9, 7, 0, tzinfo=SHANGHAI)]


def test_intervals_are_kept_between_runs():
    beat = {"a": {"task": "runxin.alerts.tasks.escalation_sweep", "schedule": 60.0},
            "b": {"task": "runxin.notify.tasks.deliver_notifications", "schedule": dt.timedelta(seconds=30)}}
    start = dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    ran = simulate(beat, start, seconds=120, step=1)
    times = {task: [(at - start).seconds for t, at in ran if t == task] for task, _ in ran}
    assert times == {"runxin.alerts.tasks.escalation_sweep": [0, 60, 120],
                     "runxin.notify.tasks.deliver_notifications": [0, 30, 60, 90, 120]}


def test_the_loop_sleeps_until_the_next_entry_is_due(db):
    beat = {"a": {"task": "runxin.alerts.tasks.escalation_sweep", "schedule": 60.0},
            "b": {"task": "runxin.screening.tasks.monitor", "schedule": 300.0}}
    clock = Clock(dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))
    ran, slept = [], []

    def sleep(seconds):
        slept.append(seconds)
        clock.current += dt.timedelta(seconds=seconds)

    timetable = scheduler.Scheduler(beat, now=clock, run_task=lambda e: ran.append(e.name))
    scheduler.run(ticks=7, sleep=sleep, scheduler=timetable)
    assert slept == [60.0] * 6
    assert ran == ["a", "b", "a", "a", "a", "a", "a", "b", "a"]  # at 0, 60 … 360 s; b at 0 and 300 s


def test_a_failing_job_does_not_stop_the_others():
    beat = {"bad": {"task": "x.bad", "schedule": 10.0}, "good": {"task": "x.good", "schedule": 10.0}}
    ran = []

    def run_task(entry):
        if entry.name == "bad":
            raise RuntimeError("database went away")
        ran.append(entry.name)
        return 1

    timetable = scheduler.Scheduler(beat, now=Clock(dt.datetime(2026, 10, 9, tzinfo=SHANGHAI)), run_task=run_task)
    assert timetable.run_due() == {"bad": None, "good": 1}
    assert ran == ["good"]


@pytest.mark.parametrize("name", [
    "runxin.alerts.tasks.escalation_sweep", "runxin.alerts.tasks.daily_reports",
    "runxin.notify.tasks.deliver_notifications", "runxin.screening.tasks.monitor",
    "runxin.screening.tasks.hand_over_pending", "runxin.imports.tasks.purge_import_files",
])
def test_every_beat_task_resolves_to_a_registered_task(settings, name):
    assert name in {line["task"] for line in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduler.task_for(name).name == name


def test_in_process_a_job_with_more_to_do_runs_again(monkeypatch):
    calls = []

    class Task:
        def __call__(self):
            calls.append(1)
            return {"sent": 500, "more": 1 if len(calls) < 3 else 0}

    monkeypatch.setattr(scheduler, "task_for", lambda name: Task())
    entry = scheduler.entries({"d": {"task": "runxin.notify.tasks.deliver_notifications", "schedule": 30.0}})[0]
    assert scheduler.Scheduler._run_in_process(entry) == {"sent": 500, "more": 0} and len(calls) == 3

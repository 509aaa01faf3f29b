"""The embedded default's scheduler: what Celery beat does in production, in one loop, from the same timetable.

It reads settings.CELERY_BEAT_SCHEDULE (the one list of what runs and how often) and runs each entry's task
in-process when it is due: an interval entry every so many seconds, a crontab entry at its times. At start
every entry runs once, to catch up on what was missed while the scheduler was down: every job is idempotent
(the escalation sweep, delivery, screening's monitor, the daily reports, which are sent once a day after 07:00
Asia/Shanghai and never twice: state lives in the database, in ScheduledJob, DailyReport and the warnings' due
times). A job whose result says there is more to do (a delivery batch with `more`) runs again at once.
"""

import copy
import importlib
import logging
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.schedules import crontab, maybe_schedule
from django.conf import settings
from django.db import close_old_connections

from . import clock

logger = logging.getLogger("runxin.scheduler")

# The longest the loop sleeps, so a changed clock or a crontab entry is never missed by much.
MAX_SLEEP_SECONDS = 60.0
# A job that says it has more to do runs again at once, for at most this long per turn.
MORE_BUDGET_SECONDS = 45.0

# The keys under which tick() reports each task's result (older callers read these names).
RESULT_KEYS = {
    "runxin.alerts.tasks.escalation_sweep": "escalated",
    "runxin.alerts.tasks.daily_reports": "daily",
    "runxin.notify.tasks.deliver_notifications": "delivered",
    "runxin.screening.tasks.monitor": "screening",
    "runxin.imports.tasks.purge_import_files": "import_files_purged",
}


def task_for(name: str):
    """The Celery task registered under `name` (importing its module, as the worker does)."""
    from runxin.celery_app import app

    if name not in app.tasks:
        module, _dot, _attr = name.rpartition(".")
        importlib.import_module(module)
    return app.tasks[name]


@dataclass
class Entry:
    """One line of the beat schedule, with the time it last ran here."""

    name: str
    task: str
    schedule: object  # celery.schedules.schedule or crontab
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run: datetime | None = None

    def interval(self) -> timedelta | None:
        """The fixed interval, or None for a crontab entry."""
        return None if isinstance(self.schedule, crontab) else self.schedule.run_every

    def is_due(self, now: datetime) -> bool:
        if self.last_run is None:
            return True
        interval = self.interval()
        if interval is not None:
            return now - self.last_run >= interval
        return self._at(now).remaining_estimate(self.last_run) <= timedelta(0)

    def seconds_until_due(self, now: datetime) -> float:
        if self.last_run is None:
            return 0.0
        interval = self.interval()
        remaining = (self.last_run + interval - now) if interval is not None else \
            self._at(now).remaining_estimate(self.last_run)
        return max(0.0, remaining.total_seconds())

    def _at(self, now: datetime):
        """The crontab as seen at `now` (celery asks its own clock otherwise)."""
        schedule = copy.copy(self.schedule)
        schedule.nowfun = lambda: now
        return schedule


def entries(beat_schedule: Mapping | None = None) -> list[Entry]:
    """The timetable: one Entry per line of CELERY_BEAT_SCHEDULE (or the mapping given)."""
    beat_schedule = settings.CELERY_BEAT_SCHEDULE if beat_schedule is None else beat_schedule
    from runxin.celery_app import app

    found = []
    for name, line in beat_schedule.items():
        schedule = maybe_schedule(line["schedule"], app=app)
        found.append(Entry(name=name, task=line["task"], schedule=schedule, args=tuple(line.get("args", ())),
                           kwargs=dict(line.get("kwargs", {}))))
    return found


class Scheduler:
    """Runs the beat timetable in-process. `now` and `run_task` are injectable (tests use a fake clock)."""

    def __init__(self, beat_schedule: Mapping | None = None, *, now: Callable[[], datetime] = clock.now,
                 run_task: Callable[[Entry], object] | None = None):
        self.entries = entries(beat_schedule)
        self.now = now
        self.run_task = run_task or self._run_in_process

    @staticmethod
    def _run_in_process(entry: Entry):
        task = task_for(entry.task)
        result = task(*entry.args, **entry.kwargs)
        started = time.monotonic()
        while isinstance(result, Mapping) and result.get("more") and time.monotonic() - started < MORE_BUDGET_SECONDS:
            result = task(*entry.args, **entry.kwargs)
        return result

    def due(self, now: datetime | None = None) -> list[Entry]:
        now = now or self.now()
        return [entry for entry in self.entries if entry.is_due(now)]

    def run_due(self, now: datetime | None = None) -> dict[str, object]:
        """Run every entry due at `now` (each on its own: one failing job does not stop the others)."""
        now = now or self.now()
        results: dict[str, object] = {}
        for entry in self.due(now):
            entry.last_run = now
            try:
                results[entry.name] = self.run_task(entry)
            except Exception:  # the next turn retries; the other jobs still run
                logger.exception("scheduled job %s failed", entry.name)
                results[entry.name] = None
        return results

    def seconds_to_next(self, now: datetime | None = None) -> float:
        now = now or self.now()
        return min([entry.seconds_until_due(now) for entry in self.entries] + [MAX_SLEEP_SECONDS])


# The timetable of the loop that is running in this process (run() sets it), read by tick().
_running: ContextVar["Scheduler | None"] = ContextVar("runxin_scheduler", default=None)


def tick(now: datetime | None = None) -> dict:
    """One turn: inside run(), every job due at `now` by the timetable; outside it (`runxin run-scheduler
    --once`, a test), every job once. Results are keyed by RESULT_KEYS ("escalated", "daily", "delivered" …)."""
    scheduler = _running.get()
    if scheduler is not None:
        results = scheduler.run_due(now)
    else:
        scheduler = Scheduler(now=lambda: now or clock.now())
        results = {entry.name: scheduler.run_task(entry) for entry in scheduler.entries}
    tasks = {entry.name: entry.task for entry in scheduler.entries}
    return {RESULT_KEYS.get(tasks[name], name): result for name, result in results.items()}


def run(*, ticks: int | None = None, sleep: Callable[[float], None] = time.sleep,
        scheduler: Scheduler | None = None) -> None:
    """Loop forever (or `ticks` turns): run what is due, sleep until the next entry is due, surviving a
    failing turn."""
    scheduler = scheduler or Scheduler()
    token = _running.set(scheduler)
    try:
        done = 0
        while ticks is None or done < ticks:
            close_old_connections()
            try:
                results = tick(scheduler.now())
                if results:
                    logger.info("scheduler ran: %s", results)
            except Exception:  # one failing turn must not stop the timers; the next turn retries
                logger.exception("scheduler turn failed")
            done += 1
            if ticks is None or done < ticks:
                sleep(scheduler.seconds_to_next())
    finally:
        _running.reset(token)

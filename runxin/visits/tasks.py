"""Celery tasks of the visits app (production: Celery beat, CELERY_BEAT_SCHEDULE; the embedded default: `runxin
run-scheduler`, the same timetable). Idempotent."""

from celery import shared_task

from . import published


@shared_task(name="runxin.visits.tasks.coverage_decide", ignore_result=True)
def coverage_decide() -> dict:
    """The home-visit coverage of every city decided ahead of its viewers outside the care team (beat entry
    "visits-coverage-decide", every minute): at 1.5 M students that takes seconds a viewer would wait."""
    return published.decide_all()

"""Celery tasks of the analytics app: the figures' upkeep. Production runs them from Celery beat
(CELERY_BEAT_SCHEDULE: "analytics-refresh" every minute, "analytics-rebuild" at night); the embedded default runs
the same functions from `runxin run-scheduler`. Both are safe to run twice: a pass that finds another running
returns at once."""

from celery import shared_task

from . import refresh as upkeep


@shared_task(name="runxin.analytics.tasks.refresh", ignore_result=True)
def refresh() -> dict:
    return upkeep.refresh()


@shared_task(name="runxin.analytics.tasks.rebuild", ignore_result=True)
def rebuild() -> dict:
    return upkeep.nightly()

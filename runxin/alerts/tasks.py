"""Celery tasks of the alerts app. Production runs them from Celery beat (CELERY_BEAT_SCHEDULE in settings);
the embedded default runs the same functions from `runxin run_scheduler`. All are safe to run twice."""

from celery import shared_task

from . import daily, escalation


@shared_task(name="runxin.alerts.tasks.escalation_sweep", ignore_result=True)
def escalation_sweep() -> int:
    return escalation.escalation_sweep()


@shared_task(name="runxin.alerts.tasks.daily_reports", ignore_result=True)
def daily_reports() -> dict | None:
    return daily.run_if_due()

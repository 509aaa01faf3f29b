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


@shared_task(name="runxin.alerts.tasks.overview_count", ignore_result=True)
def overview_count() -> dict:
    """The warning overview of every city counted and decided ahead of its viewers outside the care team (beat
    entry "alerts-overview-count", every minute): at 1.5 M students that takes seconds a viewer would wait."""
    from . import selectors_reports

    return selectors_reports.overview_count_all()

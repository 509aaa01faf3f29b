"""Celery tasks of the notify app (run in-process in the embedded default)."""

from celery import shared_task

from . import services


@shared_task(name="runxin.notify.tasks.deliver_notifications", ignore_result=True)
def deliver_notifications() -> dict[str, int]:
    """Deliver the queue; safe to run any number of times concurrently (rows are claimed one by one)."""
    return services.deliver_pending()

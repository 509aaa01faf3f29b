"""Celery tasks of the notify app (run in-process in the embedded default)."""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="runxin.notify.tasks.deliver_notifications", ignore_result=True)
def deliver_notifications() -> dict[str, int]:
    """Deliver a batch of the queue; safe to run any number of times concurrently (rows are claimed one by
    one). A long queue is worked through by re-enqueueing; in-process (eager) the scheduler's tick does it."""
    services.delivery_started()
    counts = services.deliver_pending()
    if counts["more"] and not settings.CELERY_TASK_ALWAYS_EAGER:
        deliver_notifications.delay()
    return counts

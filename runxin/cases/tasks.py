"""Background jobs of the case app (Celery beat in production, the embedded scheduler otherwise: the same
settings.CELERY_BEAT_SCHEDULE). Idempotent."""

from celery import shared_task


@shared_task
def plans_follow_students() -> dict:
    """Open plans follow their students to the school the roster now places them at (issue 12, item 7)."""
    from .transfer import plans_follow_students as follow

    return {"moved": follow()}

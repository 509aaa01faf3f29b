"""Background jobs of accounts (Celery beat in production, the embedded scheduler otherwise: the same
settings.CELERY_BEAT_SCHEDULE). Idempotent."""

from celery import shared_task


@shared_task
def student_accounts_sweep() -> dict:
    """Close the accounts of students who left; move a transferred student's role to their new class."""
    from .services import mentor_pairs_end_elsewhere
    from .students import sweep

    result = sweep()
    return {"closed": result.closed, "moved": result.moved, "unpaired": mentor_pairs_end_elsewhere()}

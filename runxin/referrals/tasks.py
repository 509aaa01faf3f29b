"""Background jobs of referrals (Celery beat in production, the embedded scheduler otherwise: the same
settings.CELERY_BEAT_SCHEDULE). Idempotent."""

from celery import shared_task


@shared_task
def unanswered_sweep() -> dict:
    """Tell the receiving side, the district centre and the school about referrals nobody has answered in time."""
    from .services import unanswered_sweep as sweep

    return sweep()

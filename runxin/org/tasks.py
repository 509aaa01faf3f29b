"""Background jobs of the org app (Celery; in-process in the embedded default)."""

from celery import shared_task

from . import rollover


@shared_task(acks_late=True)
def rollover_run_task(run_id: int) -> None:
    """Idempotent: execute_run only acts on a queued run and skips schools already rolled over."""
    rollover.execute_run(run_id)

"""Celery tasks of the screening app (run in-process in the embedded default). All are safe to retry."""

from celery import shared_task
from django.core.cache import cache

from . import services


@shared_task(name="runxin.screening.tasks.hand_over_flags", ignore_result=True)
def hand_over_flags(flag_ids: list[int] | None = None) -> int:
    """Hand flags to the warnings app (each flag at most once: see flag_hand_over). With `flag_ids` (in-process)
    those flags; without, every pending flag, most severe first, in small batches (the worker's drain, queued
    once however many submissions ask: see _schedule_hand_over)."""
    if flag_ids:
        return sum(1 for flag_id in flag_ids if services.flag_hand_over(flag_id))
    cache.delete(services.HAND_OVER_MARK)  # from now on a new flag asks for a new task
    return services.flags_hand_over_pending(limit=10**9)


@shared_task(name="runxin.screening.tasks.hand_over_pending", ignore_result=True)
def hand_over_pending() -> int:
    """The retry sweep for flags whose hand-over failed or found the warnings app missing."""
    return services.flags_hand_over_pending()


@shared_task(name="runxin.screening.tasks.monitor", ignore_result=True)
def monitor() -> dict[str, int]:
    """Open due monitoring rounds, close campaigns past their window, and retry pending hand-overs."""
    report = services.monitoring_run()
    report["flags_handed_over"] = services.flags_hand_over_pending()
    return report

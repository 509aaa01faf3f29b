"""Celery tasks of the screening app (run in-process in the embedded default). All are safe to retry."""

from celery import shared_task

from . import services


@shared_task(name="runxin.screening.tasks.hand_over_flags", ignore_result=True)
def hand_over_flags(flag_ids: list[int]) -> int:
    """Hand freshly written flags to the warnings app (each flag at most once: see flag_hand_over)."""
    return sum(1 for flag_id in flag_ids if services.flag_hand_over(flag_id))


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

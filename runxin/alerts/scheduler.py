"""The embedded default's scheduler: what Celery beat does in production, in one loop.

Every minute: an escalation sweep, a delivery round for queued notifications and screening's monitor
(monitoring rounds, campaign windows, flag hand-over retries). Once a day after 07:00
(Asia/Shanghai): the daily key-case reports. State lives in the database (ScheduledJob, DailyReport and the
warnings' own due times), so a restart picks up where it left off and never sends a report twice.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections

from runxin.notify import services as notify

from . import clock, daily, escalation

logger = logging.getLogger("runxin.scheduler")

TICK_SECONDS = 60


def tick(now: datetime | None = None) -> dict:
    """One round of every job that is due at `now`."""
    now = now or clock.now()
    result = {"escalated": escalation.escalation_sweep(now=now)}
    result["daily"] = daily.run_if_due(now=now)
    result["delivered"] = notify.deliver_all()
    # Screening's timers ride along (Celery beat runs them as their own task): open due monitoring rounds,
    # close campaigns past their window, and retry any screening flag not yet handed to the warnings.
    from runxin.screening.tasks import monitor as screening_monitor

    result["screening"] = screening_monitor()
    # Uploaded import files past their retention period (cheap when there is nothing to do).
    from runxin.imports.services import purge_import_files

    result["import_files_purged"] = purge_import_files(now=now)
    return result


def run(*, ticks: int | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Loop forever (or `ticks` times), one tick a minute, surviving a failing tick."""
    done = 0
    while ticks is None or done < ticks:
        started = time.monotonic()
        close_old_connections()
        try:
            result = tick()
            if result["escalated"] or result["daily"] or result["delivered"].get("sent"):
                logger.info("scheduler tick: %s", result)
        except Exception:  # one failing tick must not stop the timers; the next tick retries
            logger.exception("scheduler tick failed")
        done += 1
        if ticks is None or done < ticks:
            sleep(max(0.0, TICK_SECONDS - (time.monotonic() - started)))

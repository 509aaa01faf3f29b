"""A test clock: run code as if it were a given moment.

The services read the time through ``django.utils.timezone.now`` (and ``timezone.localdate``, which calls it),
so patching that one function moves every service, model default that calls it, and the demo generator.
The clock ticks on from the frozen moment by default, so "later" still comes after "earlier" inside a test.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in the platform's time zone (China Standard Time)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@contextmanager
def frozen_at(moment: datetime, *, tick: bool = True) -> Iterator[None]:
    if moment.tzinfo is None:
        raise ValueError("give an aware moment, e.g. testing.clock.local(2031, 10, 13)")
    started = time.monotonic()

    def now() -> datetime:
        elapsed = time.monotonic() - started if tick else 0.0
        return moment.astimezone(ZoneInfo("UTC")) + timedelta(seconds=elapsed)

    with mock.patch("django.utils.timezone.now", new=now):
        yield


class FrozenClock:
    """A stopped clock to patch over a module's own clock function (alerts.clock.now, referrals.services.clock);
    `advance(minutes=31)` moves it."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current

"""The alerts app's clock. Everything that compares against "now" asks here, so tests can freeze it."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def school_day_end(at: datetime) -> datetime:
    """The end of the school day (settings.SCHOOL_DAY_ENDS, local time) on the day of `at`."""
    ends = time.fromisoformat(str(settings.SCHOOL_DAY_ENDS))
    return timezone.localtime(at).replace(hour=ends.hour, minute=ends.minute, second=0, microsecond=0)


def same_day_deadline(at: datetime) -> datetime:
    """When a same-day safety assessment is due for a result that arrives at `at`: before school ends today,
    or, when the school day is (nearly) over or the student answered at home, within the hour: nobody may
    leave it until tomorrow."""
    end = school_day_end(at)
    if at <= end - timedelta(minutes=30):
        return end
    return at + timedelta(hours=1)

"""The alerts app's clock. Everything that compares against "now" asks here, so tests can freeze it."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()

"""Fixtures for the alerts tests: a frozen clock and the default levels by code."""

import datetime as dt

import pytest

from runxin.alerts import clock
from runxin.alerts.models import WarningLevel
from runxin.testing.clock import SHANGHAI, FrozenClock


@pytest.fixture
def frozen(monkeypatch):
    """The alerts clock stopped at Friday 2026-10-09 10:00 Shanghai time; `frozen.advance(minutes=31)`."""
    fake = FrozenClock(dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def levels(db):
    return {lv.code: lv for lv in WarningLevel.objects.all()}


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids; pages and notifications follow LANGUAGE_CODE (a browser test's
    Accept-Language still picks Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

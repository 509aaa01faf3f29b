"""Fixtures for the alerts tests: a frozen clock and the default levels by code."""

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest

from runxin.alerts import clock
from runxin.alerts.models import WarningLevel

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FrozenClock:
    def __init__(self, start: dt.datetime):
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, **delta) -> dt.datetime:
        self.current += dt.timedelta(**delta)
        return self.current


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
def _default_levels(request):
    """The default levels come from a data migration. A transactional (browser) test ends with a flush that
    empties every table, and with --reuse-db the next session starts from that empty database; put the
    levels back so each test starts from what a fresh database holds."""
    if not any(name in request.fixturenames for name in ("db", "transactional_db")) \
            and "django_db" not in request.keywords:
        return
    request.getfixturevalue("db" if "transactional_db" not in request.fixturenames else "transactional_db")
    if not WarningLevel.objects.exists():
        seeds = importlib.import_module("runxin.alerts.migrations.0002_default_levels")
        for fields in seeds.LEVELS:
            WarningLevel.objects.create(**fields)
        from django.apps import apps

        importlib.import_module("runxin.alerts.migrations.0005_crisis_path_defaults").forward(apps, None)


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids; pages and notifications follow LANGUAGE_CODE (a browser test's
    Accept-Language still picks Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

"""Lockout after repeated failures (django-axes, by username and address), end to end through the sign-in page."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from runxin.testing.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(password, username="head", ip="10.1.1.1"):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password})


def test_five_failures_lock_the_username_at_that_address_even_against_the_right_password(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt("wrong").status_code == 200
    locked = attempt("wrong")
    assert locked.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in locked.templates]
    refused = attempt(TEST_PASSWORD)
    assert refused.status_code == 429
    # Another account is not affected. Since issue 9 (lockout as a weapon) the lock holds for the pair
    # (username, address): the owner signing in from another address is not locked out by someone else's
    # failures (accounts/throttle.py; more in test_throttle.py).
    assert attempt(TEST_PASSWORD, username="psych").status_code == 302
    assert attempt("wrong").status_code == 429
    assert attempt(TEST_PASSWORD, ip="10.9.9.9").status_code == 302
    log = AccessFailureLog.objects.filter(username="head")
    assert log.filter(locked_out=False).count() == settings.AXES_FAILURE_LIMIT - 1
    assert log.filter(locked_out=True).count() == 3  # the locking attempt and the two refused while locked


def test_lock_lifts_after_the_cool_off(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong")
    assert attempt(TEST_PASSWORD).status_code == 429
    AccessAttempt.objects.filter(username="head").update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    assert attempt(TEST_PASSWORD).status_code == 302
    # A success resets the count: four more failures do not lock.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt("wrong").status_code == 200


def test_security_administrator_unlocks_early(world, client_for, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong")
    client = client_for(world.secadmin)
    detail = client.get(f"/accounts/staff/{world.head.pk}/")
    assert detail.context["member"].is_locked
    assert client.post(f"/accounts/staff/{world.head.pk}/unlock/").status_code == 302
    assert attempt(TEST_PASSWORD).status_code == 302
    from auditlog.models import LogEntry

    entry = LogEntry.objects.filter(object_pk=str(world.head.pk), content_type__model="user").latest("timestamp")
    assert entry.changes_dict == {"sign_in_lockout": ["locked", "unlocked"]} and entry.actor == world.secadmin

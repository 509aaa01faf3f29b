"""Idle sessions end: every request pushes the expiry forward; a session left alone longer is signed out."""

import datetime as dt
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from runxin.testing.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_activity_keeps_the_session_and_idleness_ends_it(world, settings):
    idle = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    start = timezone.now()
    client = Client()
    with at(start):
        client.post("/accounts/login/", {"username": "psych", "password": TEST_PASSWORD})
    # Active just inside the window, twice: the session slides forward past its first expiry.
    with at(start + idle - dt.timedelta(minutes=1)):
        assert client.get("/").status_code == 200
    with at(start + 2 * idle - dt.timedelta(minutes=2)):
        assert client.get("/").status_code == 200
    # Then left alone for longer than the window.
    with at(start + 3 * idle):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_idle_window_is_thirty_minutes_and_the_cookie_dies_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE

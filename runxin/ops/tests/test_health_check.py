"""The health check of a persistent connection (runxin/ops/postgresql/base.py): a healthy connection passes
without a round trip; one the server has dropped fails, and the request gets a new connection."""

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(monkeypatch):
    """A second connection to the test database, and a list of the `SELECT 1` checks Django's own is_usable ran."""
    asked = []
    original = django_base.DatabaseWrapper.is_usable

    def counted(self):
        asked.append(self)
        return original(self)

    monkeypatch.setattr(django_base.DatabaseWrapper, "is_usable", counted)
    wrapper = connections.create_connection("default")
    wrapper.connect()
    yield wrapper, asked
    wrapper.close()


def test_the_backend_is_ours_and_a_healthy_connection_passes_without_asking_the_server(other):
    wrapper, asked = other
    assert connection.settings_dict["ENGINE"] == "runxin.ops.postgresql"
    for _ in range(3):
        assert wrapper.is_usable() is True
    assert asked == []
    with wrapper.cursor() as cursor:  # and it still works
        cursor.execute("SELECT 41 + 1")
        assert cursor.fetchone() == (42,)


def test_a_connection_the_server_dropped_fails_the_check_and_the_next_query_reconnects(other):
    wrapper, asked = other
    pid = wrapper.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    deadline = time.monotonic() + 5
    while wrapper.is_usable() and time.monotonic() < deadline:  # the FATAL message is on its way
        time.sleep(0.05)
    assert wrapper.is_usable() is False
    assert asked, "a readable socket is checked with the server's own SELECT 1"
    # What Django does at the start of a request with health checks on: drop it and connect anew.
    wrapper.health_check_enabled, wrapper.health_check_done = True, False
    wrapper.close_if_health_check_failed()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_closed_connection_is_not_usable(other):
    wrapper, _asked = other
    wrapper.connection.close()
    assert wrapper.is_usable() is False

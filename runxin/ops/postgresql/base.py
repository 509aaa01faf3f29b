"""Django's PostgreSQL backend, with one change: the health check of a persistent connection.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that reuses a
connection: a round trip on every page and every questionnaire answer (a quarter of the time of a bare insert in
bench/submit_burst.py). A connection the server has dropped (restart, fail-over, idle timeout, terminated
backend) has said so on its socket: PostgreSQL sends a FATAL message and closes it, so the socket is readable.
A healthy idle connection has nothing to read. So: poll the socket without waiting; only when something is
there (a closing server, or a notice) ask the server with Django's own `SELECT 1`. A connection whose peer
vanished without a word (a cut cable) is not detected, by this check or by `SELECT 1` short of a TCP timeout;
the first query then fails and Django drops the connection at the end of the request."""

import select

import psycopg
from django.db.backends.postgresql import base

_POLL = getattr(select, "poll", None)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if _POLL is None or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            poller = _POLL()
            poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
            ready = poller.poll(0)
        except (OSError, ValueError, psycopg.Error):
            return False
        return super().is_usable() if ready else True

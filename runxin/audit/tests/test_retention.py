"""Audit retention: at least six months, configurable, and the purge removes only whole expired starts of a
chain, leaving a checkpoint so `runxin audit-verify` still passes and the chain goes on from it."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from runxin.audit import chain
from runxin.audit.models import ChainCheckpoint

from .test_hash_chain import chain_of, fail_login, verify_output

pytestmark = pytest.mark.django_db
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the chain is PostgreSQL-only")


@pytest.mark.parametrize(("days", "starts"), [("100", False), ("182", False), ("183", True), ("", True)])
def test_retention_below_six_months_refuses_to_start(days, starts):
    env = {**os.environ, "AUDIT_RETENTION_DAYS": days, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "runxin.settings"}
    probe = "from django.conf import settings; print(settings.AUDIT_RETENTION_DAYS)"
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert (run.returncode == 0) is starts, run.stderr
    if starts:
        assert run.stdout.strip() == (days or "400")
    else:
        assert "below the minimum of 183 days" in run.stderr


def test_default_retention_is_400_days():
    assert settings.AUDIT_RETENTION_DAYS == 400 and settings.AUDIT_RETENTION_MINIMUM_DAYS == 183


def test_purge_refuses_a_shorter_retention():
    with pytest.raises(CommandError, match="below the minimum of 183"):
        call_command("audit_purge", "--days", "30", stdout=StringIO())
    with pytest.raises(ValueError, match="below the minimum"), connection.cursor() as cursor:
        chain.purge(cursor, now=timezone.now(), days=182)


@needs_postgres
def test_purge_removes_only_the_whole_expired_start_and_verification_still_passes():
    # Committed history before this test may sit at the start of the chain; age every row by a far "now".
    now = timezone.now() + timedelta(days=3000)
    older = [fail_login("head", f"now() + interval '{d} days'") for d in (10, 20)]  # expired at `now`
    recent = fail_login("head", "now() + interval '2990 days'")  # 10 days before `now`: kept
    late_but_old = fail_login("head", "now() + interval '30 days'")  # expired, but after a kept row
    assert verify_output()[0]

    out = StringIO()
    call_command("audit_purge", stdout=out)  # 400 days against the real clock: nothing of this is due
    assert chain_of("axes_accessfailurelog", older[0])[0] is not None

    with connection.cursor() as cursor:
        purged = {p.table: p for p in chain.purge(cursor, now=now, days=400)}
    through = chain_of("axes_accessfailurelog", recent)[0] - 1
    assert purged["axes_accessfailurelog"].through_seq == through
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM axes_accessfailurelog ORDER BY chain_seq")
        remaining = [row[0] for row in cursor.fetchall()]
    assert remaining == [recent, late_but_old]  # the chain is never cut in the middle
    checkpoint = ChainCheckpoint.objects.get(table_name="axes_accessfailurelog", seq=through)
    assert checkpoint.rows_removed >= 2 and len(checkpoint.chain_hash) == 64

    ok, report = verify_output()
    assert ok, report
    assert f"axes_accessfailurelog: 2 rows chained from checkpoint {through} — OK" in report

    # The checkpoint cannot be edited either, and the chain goes on from it even when a table is emptied.
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("SAVEPOINT s")
        try:
            cursor.execute("UPDATE audit_chaincheckpoint SET seq = 0")
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT s")
    with connection.cursor() as cursor:
        chain.purge(cursor, now=now + timedelta(days=3000), days=400)
        cursor.execute("SELECT count(*) FROM axes_accessfailurelog")
        assert cursor.fetchone()[0] == 0
    after = fail_login("head")
    last = ChainCheckpoint.objects.filter(table_name="axes_accessfailurelog").order_by("-seq").first()
    assert chain_of("axes_accessfailurelog", after)[0] == last.seq + 1
    assert verify_output()[0]


@needs_postgres
def test_purge_refuses_to_destroy_a_broken_chain():
    now = timezone.now() + timedelta(days=3000)
    first = fail_login("head", "now() + interval '1 day'")
    fail_login("head", "now() + interval '2 days'")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE axes_accessfailurelog DISABLE TRIGGER runxin_append_only")
        cursor.execute("UPDATE axes_accessfailurelog SET username = 'nobody' WHERE id = %s", [first])
        cursor.execute("ALTER TABLE axes_accessfailurelog ENABLE ALWAYS TRIGGER runxin_append_only")
        purged = {p.table: p for p in chain.purge(cursor, now=now, days=400)}
    assert f"row id={first}" in purged["axes_accessfailurelog"].refused
    assert chain_of("axes_accessfailurelog", first)[0] is not None  # the evidence stays

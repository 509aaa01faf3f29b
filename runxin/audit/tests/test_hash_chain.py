"""Every audit row is chained in the database on insert, whoever wrote it, and `runxin audit-verify` proves
nothing was removed or changed: it passes on a clean chain and names the row after tampering."""

from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection

from runxin.access.models import ReadEvent
from runxin.access.read_audit import record_read
from runxin.audit import chain

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL chain")]


def fail_login(username: str, when: str = "now()") -> int:
    """A sign-in failure written by raw SQL, as a bulk path or a DBA would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO axes_accessfailurelog (user_agent, ip_address, username, http_accept, path_info, "  # noqa: S608
            f"attempt_time, locked_out) VALUES ('ua', '10.0.0.9', %s, '*/*', '/accounts/login/', {when}, false) "
            "RETURNING id",
            [username],
        )
        return cursor.fetchone()[0]


def chain_of(table: str, row_id: int) -> tuple[int | None, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT chain_seq, chain_hash FROM {table} WHERE id = %s", [row_id])  # noqa: S608
        return cursor.fetchone()


def verify_output() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def tamper(table: str, sql: str, params: list) -> None:
    """What only a superuser or the owner can do: switch the guard off, change a row, switch it back
    (inside the test's transaction, so the database is left as it was)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred foreign-key check
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER runxin_append_only")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER runxin_append_only")


def test_every_way_of_writing_an_audit_row_is_chained_and_the_chain_verifies(world):
    read = record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=world.a1.pk)
    bulk = ReadEvent.objects.bulk_create([
        ReadEvent(user=world.psych, student=world.a1, record_type="screening.result", record_id=str(n))
        for n in range(3)
    ])
    world.a1.status = "suspended"
    world.a1.save()  # auditlog writes a LogEntry
    change = LogEntry.objects.latest("id")
    raw = fail_login("head")

    seqs = [chain_of("access_readevent", e.pk)[0] for e in [read, *bulk]]
    assert seqs == list(range(seqs[0], seqs[0] + 4))  # one after another, in insert order
    assert all(chain_of("auditlog_logentry", change.pk)) and all(chain_of("axes_accessfailurelog", raw))
    # The stored hash is sha256(previous hash + canonical row), reproducible outside the database.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL timezone = 'UTC'")
        cursor.execute("SELECT chain_hash, runxin_audit_canonical(to_jsonb(t), '{}') FROM access_readevent t "
                       "WHERE chain_seq IN (%s, %s) ORDER BY chain_seq", [seqs[0], seqs[1]])
        (first_hash, _), (second_hash, second_text) = cursor.fetchall()
    assert chain.link(first_hash, second_text) == second_hash
    assert f'"record_id": "{bulk[0].record_id}"' in second_text

    ok, out = verify_output()
    assert ok, out
    assert "access_readevent:" in out and "Audit chain intact." in out


def test_a_changed_row_is_named(world):
    record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=world.a1.pk)
    target = record_read(user=world.psych, student=world.a2, record_type="student.profile", record_id=world.a2.pk)
    record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=world.a1.pk)
    assert verify_output()[0]

    # Someone with the owner's or a superuser's rights hides that the psychology teacher opened a2's profile.
    tamper("access_readevent", "UPDATE access_readevent SET student_id = %s WHERE id = %s", [world.a1.pk, target.pk])

    ok, out = verify_output()
    assert not ok
    seq = chain_of("access_readevent", target.pk)[0]
    assert f"access_readevent row id={target.pk} (chain position {seq}) was changed" in out
    assert out.count("was changed") == 1  # the rows after it still check against the stored hashes


def test_a_removed_row_is_found_and_its_successor_named(world):
    first = fail_login("head")
    gone = fail_login("head")
    after = fail_login("head")
    tamper("axes_accessfailurelog", "DELETE FROM axes_accessfailurelog WHERE id = %s", [gone])

    ok, out = verify_output()
    assert not ok
    position = chain_of("axes_accessfailurelog", first)[0] + 1
    assert (f"axes_accessfailurelog: 1 row(s) removed before row id={after} "
            f"(chain positions {position}–{position} missing)") in out


def test_a_row_slipped_in_with_the_chain_switched_off_is_named(world):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE axes_accessfailurelog DISABLE TRIGGER runxin_audit_chain")
        sneaked = fail_login("head")
        cursor.execute("ALTER TABLE axes_accessfailurelog ENABLE ALWAYS TRIGGER runxin_audit_chain")
    ok, out = verify_output()
    assert not ok
    assert f"axes_accessfailurelog row id={sneaked} is not chained" in out


def test_replica_mode_does_not_switch_the_chain_or_the_guard_off(world):
    """A bulk path (the roster import) may SET session_replication_role = replica to skip foreign-key
    triggers; audit rows written meanwhile are still chained and still cannot be changed."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        row = fail_login("head")
        assert chain_of("axes_accessfailurelog", row)[0] is not None
        with pytest.raises(Exception, match="append-only"):
            cursor.execute("UPDATE axes_accessfailurelog SET username = 'x' WHERE id = %s", [row])


def test_axes_may_fill_in_the_logout_time_once_and_change_nothing_else(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO axes_accesslog (user_agent, ip_address, username, http_accept, path_info, attempt_time, "
            "session_hash) VALUES ('ua', '10.0.0.9', 'psych', '*/*', '/accounts/login/', now(), 'abc') RETURNING id")
        row = cursor.fetchone()[0]
        cursor.execute("UPDATE axes_accesslog SET logout_time = now() WHERE id = %s", [row])
        for sql in ("UPDATE axes_accesslog SET logout_time = now() + interval '1 day' WHERE id = %s",
                    "UPDATE axes_accesslog SET username = 'other' WHERE id = %s"):
            cursor.execute("SAVEPOINT s")
            with pytest.raises(Exception, match="append-only"):
                cursor.execute(sql, [row])
            cursor.execute("ROLLBACK TO SAVEPOINT s")
    assert verify_output()[0]  # the logout time is outside the hash


def test_sqlite_demo_has_no_chain_and_the_command_says_so(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "No hash chain on sqlite" in out.getvalue()
    assert "nothing was verified" in out.getvalue()


def test_the_warning_history_chain_holds_across_bulk_appends_and_a_rolled_back_savepoint(world):
    """The warning history's trigger keeps the chain head for the transaction (migration 0006): a bulk append, a
    savepoint rolled back mid-way and appends after it still make one unbroken chain, as verify() proves."""
    from django.db import transaction

    from runxin.alerts import services as alerts
    from runxin.alerts.models import Warning, WarningEvent

    warning = alerts.warning_raise_from_screening(student=world.a1, result_id="chain-1", suggested_level="high",
                                                  reasons=[], instrument_code="phq-a")
    before = WarningEvent.objects.count()
    alerts.record_events(warnings=Warning.objects.filter(pk=warning.pk), kind="escalated", at=warning.raised_at,
                         reason="bulk 1")
    try:
        with transaction.atomic():
            alerts.record_events(warnings=[warning], kind="escalated", at=warning.raised_at, reason="rolled back")
            raise RuntimeError("roll the savepoint back")
    except RuntimeError:
        pass
    alerts.record_events(warnings=[warning, warning], kind="escalated", at=warning.raised_at, reason="bulk 2")
    events = list(WarningEvent.objects.filter(warning=warning).order_by("pk"))
    assert len(events) == WarningEvent.objects.count() - before + 1
    seqs = [chain_of("alerts_warningevent", e.pk)[0] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap where the savepoint was rolled back
    with connection.cursor() as cursor:  # the same canonical row as every other chained table
        cursor.execute("SET LOCAL timezone = 'UTC'")
        cursor.execute("SELECT chain_hash, runxin_audit_canonical(to_jsonb(t), '{}') FROM alerts_warningevent t "
                       "WHERE chain_seq IN (%s, %s) ORDER BY chain_seq", [seqs[-2], seqs[-1]])
        (first_hash, _), (second_hash, second_text) = cursor.fetchall()
    assert chain.link(first_hash, second_text) == second_hash
    ok, out = verify_output()
    assert ok, out

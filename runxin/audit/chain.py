"""The hash chain over the audit tables: proof that no audit row was removed or changed.

On PostgreSQL every audit table carries two columns the ORM never sees, `chain_seq` and `chain_hash`. A
BEFORE INSERT trigger (migrations 0004–0005, `runxin_audit_chain()`) fills them for every insert, whatever wrote
it (the ORM, `bulk_create`, raw `INSERT INTO`, COPY): under one advisory lock (all tables) held to the end of the
transaction it takes the table's last row (or the last purge checkpoint), sets

    chain_seq  = previous seq + 1
    chain_hash = sha256(previous hash || canonical row)

where the canonical row is the row as JSONB (keys sorted by PostgreSQL, timestamps in UTC) without
`chain_hash`, without NULL values (so adding a nullable column later leaves old rows' hashes intact) and
without the columns the app may fill in once (axes' `logout_time`). `verify()` walks each chain in order and
names the first row of every break; `purge()` removes only whole expired prefixes and records a checkpoint
(`ChainCheckpoint`) the chain continues from.

SQLite (the embedded demo) keeps no chain: `verify()` says so and checks nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# table → (time column, columns outside the hash, purged by retention)
# The warning history (alerts_warningevent) is a case record kept with its warning, not an access log:
# chained and append-only, never purged by the audit retention.
CHAINED: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "auditlog_logentry": ("timestamp", (), True),
    "access_readevent": ("at", (), True),
    "axes_accesslog": ("attempt_time", ("logout_time",), True),
    "axes_accessfailurelog": ("attempt_time", (), True),
    "audit_export": ("at", (), True),
    "alerts_warningevent": ("at", (), False),
}
CHECKPOINT_TABLE = "audit_chaincheckpoint"
PAGE = 5000


@dataclass
class TableReport:
    table: str
    rows: int = 0
    start_seq: int = 0  # the checkpoint the chain starts from (0: the beginning)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Report:
    kept: bool  # False on SQLite: there is no chain to check
    tables: list[TableReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


def link(previous: str, canonical: str) -> str:
    """The hash a row stores: sha256 over the previous row's hash and this row's canonical text."""
    return hashlib.sha256((previous + canonical).encode()).hexdigest()


def _checkpoint(cursor, table: str) -> tuple[int, str]:
    cursor.execute(
        f"SELECT seq, chain_hash FROM {CHECKPOINT_TABLE} WHERE table_name = %s ORDER BY seq DESC LIMIT 1",  # noqa: S608
        [table],
    )
    row = cursor.fetchone()
    return (int(row[0]), row[1]) if row else (0, "")


def _exists(cursor, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{table}"])
    return bool(cursor.fetchone()[0])


def verify_table(cursor, table: str, limit: int = 20) -> TableReport:
    """Walk one table's chain from its last checkpoint; name every row where it breaks (up to `limit`)."""
    _time, excluded, _purged = CHAINED[table]
    start, previous = _checkpoint(cursor, table)
    report = TableReport(table=table, start_seq=start)
    cursor.execute(f"SELECT id FROM {table} WHERE chain_seq IS NULL ORDER BY id LIMIT %s", [limit])  # noqa: S608
    for (row_id,) in cursor.fetchall():
        report.problems.append(f"{table} row id={row_id} is not chained (inserted with the chain trigger off)")
    expected, last = start + 1, start
    while len(report.problems) < limit:
        cursor.execute(
            f"SELECT id, chain_seq, chain_hash, runxin_audit_canonical(to_jsonb(t), %s) FROM {table} t "  # noqa: S608
            f"WHERE chain_seq > %s ORDER BY chain_seq LIMIT %s",
            [list(excluded), last, PAGE],
        )
        rows = cursor.fetchall()
        if not rows:
            break
        for row_id, seq, stored, canonical in rows:
            report.rows += 1
            if seq != expected:
                report.problems.append(
                    f"{table}: {seq - expected} row(s) removed before row id={row_id} "
                    f"(chain positions {expected}–{seq - 1} missing)"
                )
            elif link(previous, canonical) != stored:
                report.problems.append(f"{table} row id={row_id} (chain position {seq}) was changed")
            # Go on from the stored hash, so one changed row is named once and the rest still checks.
            previous, expected, last = stored, seq + 1, seq
    return report


def prepare(cursor) -> None:
    """Canonical text depends on the session's time zone: always UTC, as in the trigger."""
    cursor.execute("SELECT set_config('timezone', 'UTC', false)")


def verify(cursor, vendor: str = "postgresql", tables: list[str] | None = None) -> Report:
    """Check every chained table. On SQLite there is no chain: the report says so (kept=False)."""
    if vendor != "postgresql":
        return Report(kept=False)
    prepare(cursor)
    report = Report(kept=True)
    for table in tables or list(CHAINED):
        if _exists(cursor, table):
            report.tables.append(verify_table(cursor, table))
    return report


@dataclass
class Purged:
    table: str
    rows: int
    through_seq: int
    refused: str = ""


def purge(cursor, *, now: datetime, days: int, dry_run: bool = False) -> list[Purged]:
    """Remove, per purgeable table, the longest prefix of the chain whose rows are all older than `days`,
    after checking the chain is intact, and record a checkpoint so `verify` continues from there.

    A row newer than the cutoff ends the prefix even if older rows follow it: the chain is never cut in the
    middle. Must run as the owner role (the app role may not delete audit rows; the trigger lets only a
    member of the table's owner delete, and only with `runxin.audit_purge` on)."""
    from django.conf import settings

    if days < settings.AUDIT_RETENTION_MINIMUM_DAYS:
        raise ValueError(f"retention of {days} days is below the minimum of {settings.AUDIT_RETENTION_MINIMUM_DAYS}")
    prepare(cursor)
    cutoff = now - timedelta(days=days)
    done = []
    for table, (time_column, _excluded, purgeable) in CHAINED.items():
        if not purgeable or not _exists(cursor, table):
            continue
        start, _hash = _checkpoint(cursor, table)
        cursor.execute(f"SELECT min(chain_seq) FROM {table} WHERE {time_column} >= %s", [cutoff])  # noqa: S608
        first_kept = cursor.fetchone()[0]
        if first_kept is None:
            cursor.execute(f"SELECT max(chain_seq) FROM {table}")  # noqa: S608
            through = cursor.fetchone()[0] or start
        else:
            through = first_kept - 1
        if through <= start:
            continue
        check = verify_table(cursor, table)
        if not check.ok:
            done.append(Purged(table, 0, start, refused="; ".join(check.problems[:3])))
            continue
        cursor.execute(f"SELECT count(*) FROM {table} WHERE chain_seq <= %s", [through])  # noqa: S608
        count = cursor.fetchone()[0]
        cursor.execute(f"SELECT chain_hash FROM {table} WHERE chain_seq = %s", [through])  # noqa: S608
        last_hash = cursor.fetchone()[0]
        if not dry_run:
            cursor.execute(
                f"INSERT INTO {CHECKPOINT_TABLE} (table_name, seq, chain_hash, rows_removed, cutoff, at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [table, through, last_hash, count, cutoff, now],
            )
            cursor.execute("SELECT set_config('runxin.audit_purge', 'on', true)")
            cursor.execute(f"DELETE FROM {table} WHERE chain_seq <= %s", [through])  # noqa: S608
            cursor.execute("SELECT set_config('runxin.audit_purge', 'off', true)")
        done.append(Purged(table, count, through))
    return done

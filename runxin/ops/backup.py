"""`runxin backup` and the restore drill.

A backup is a directory holding `database.dump` (pg_dump custom format) and `manifest.json`: per table the
row count and a checksum, computed in the very snapshot pg_dump copies (`pg_export_snapshot()` + `pg_dump
--snapshot`), so the manifest describes exactly what the dump holds. The drill restores a backup into a new
database, computes the same manifest there, compares table by table, verifies the audit hash chain on the
restored copy, and drops the copy.

The checksum is order-independent (rows come back in any physical order): the sum of the first 64 bits of
md5(row as text) over all rows, with the session's text formats pinned (UTC, ISO dates, exact floats).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess  # noqa: S404 - pg_dump and pg_restore, with argument lists, never a shell
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psycopg import sql

from runxin.audit import chain

from .db import connect, libpq_env

PINNED = [
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET extra_float_digits = 3",
    "SET bytea_output = 'hex'",
]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def tool_version(name: str) -> str:
    out = subprocess.run([_tool(name), "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    return out.stdout.strip()


def table_manifest(conn) -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "checksum": hex}} for every table in schema public, in the connection's snapshot."""
    with conn.cursor() as cursor:
        for statement in PINNED:
            cursor.execute(statement)
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        manifest = {}
        for table in tables:
            cursor.execute(sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0) "
                "FROM public.{} t").format(sql.Identifier(table)))
            count, total = cursor.fetchone()
            manifest[table] = {"rows": count, "checksum": hashlib.sha256(str(total).encode()).hexdigest()[:32]}
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(settings_dict: dict[str, Any], target: Path) -> Path:
    """Dump the database into a new directory under `target`; returns that directory."""
    now = datetime.now(UTC)
    directory = Path(target) / f"runxin-{settings_dict['NAME']}-{now:%Y%m%dT%H%M%SZ}"
    directory.mkdir(parents=True, exist_ok=False)
    dump = directory / "database.dump"
    with connect(settings_dict) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        server = conn.execute("SHOW server_version").fetchone()[0]
        subprocess.run(  # noqa: S603
            [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={dump}"],
            env={**_base_env(), **libpq_env(settings_dict)}, check=True, capture_output=True, text=True,
        )
        tables = table_manifest(conn)
        conn.rollback()
    manifest = {
        "database": settings_dict["NAME"],
        "created_at": now.isoformat(),
        "server_version": server,
        "pg_dump": tool_version("pg_dump"),
        "dump": {"file": dump.name, "format": "custom", "sha256": _sha256(dump), "bytes": dump.stat().st_size},
        "tables": tables,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return directory


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


@dataclass
class TableComparison:
    table: str
    rows_backup: int | None
    rows_restored: int | None
    checksum_equal: bool

    @property
    def equal(self) -> bool:
        return self.rows_backup == self.rows_restored and self.checksum_equal


@dataclass
class DrillResult:
    backup_dir: Path
    database: str
    tables: list[TableComparison] = field(default_factory=list)
    chain: chain.Report | None = None

    @property
    def equal(self) -> bool:
        return bool(self.tables) and all(t.equal for t in self.tables)

    @property
    def ok(self) -> bool:
        return self.equal and (self.chain is None or self.chain.ok)


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[TableComparison]:
    rows = []
    for table in sorted(set(expected) | set(actual)):
        e, a = expected.get(table), actual.get(table)
        rows.append(TableComparison(
            table, e and e["rows"], a and a["rows"], bool(e and a and e["checksum"] == a["checksum"])))
    return rows


def restore(settings_dict: dict[str, Any], admin: dict[str, Any], backup_dir: Path, database: str) -> None:
    """Create `database` (as `admin`, who needs CREATEDB) and restore the backup into it."""
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    dump = backup_dir / manifest["dump"]["file"]
    if _sha256(dump) != manifest["dump"]["sha256"]:
        raise RuntimeError(f"{dump} does not match its manifest's checksum")
    with connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(database)))
    subprocess.run(  # noqa: S603
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={database}", str(dump)],
        env={**_base_env(), **libpq_env(admin, database)}, check=True, capture_output=True, text=True,
    )


def drop(admin: dict[str, Any], database: str) -> None:
    with connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def restore_drill(settings_dict: dict[str, Any], admin: dict[str, Any], workdir: Path, *,
                  backup_dir: Path | None = None, keep: bool = False) -> DrillResult:
    """Back up (unless given a backup), restore into a new database, compare every table, verify the chain."""
    backup_dir = Path(backup_dir) if backup_dir else backup(settings_dict, workdir)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    database = f"{settings_dict['NAME'][:40]}_drill_{stamp}"
    result = DrillResult(backup_dir=backup_dir, database=database)
    restore(settings_dict, admin, backup_dir, database)
    try:
        with connect(admin, database) as conn:
            restored = table_manifest(conn)
            with conn.cursor() as cursor:
                result.chain = chain.verify(cursor)
            conn.rollback()
        expected = json.loads((backup_dir / "manifest.json").read_text())["tables"]
        result.tables = compare(expected, restored)
    finally:
        if not keep:
            drop(admin, database)
    return result

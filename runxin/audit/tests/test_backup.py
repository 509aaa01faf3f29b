"""`runxin backup` writes a pg_dump with a manifest, and the restore drill restores it into a new database and
finds every table equal (row counts and checksums) and the audit chain intact; a difference is reported."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from runxin.ops import backup
from runxin.ops.db import connect

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backs up PostgreSQL")


@pytest.fixture(scope="module")
def source(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
        settings_dict["NAME"] = connection.creation._get_test_db_name()
    assert settings_dict["NAME"].startswith("test_")
    _seeded_levels(settings_dict["NAME"], django_db_blocker)
    return settings_dict


def _seeded_levels(name: str, django_db_blocker) -> None:
    """A browser test on this worker may have flushed the data migrations' rows; the drill compares real rows,
    so put the default warning levels back (committed, as a fresh database has them)."""
    import importlib

    from django.apps import apps

    from runxin.alerts.models import WarningLevel

    with django_db_blocker.unblock():
        saved = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = name
        try:
            if not WarningLevel.objects.exists():
                seeds = importlib.import_module("runxin.alerts.migrations.0002_default_levels")
                for fields in seeds.LEVELS:
                    WarningLevel.objects.create(**fields)
                importlib.import_module("runxin.alerts.migrations.0005_crisis_path_defaults").forward(apps, None)
        finally:
            connection.close()
            connection.settings_dict["NAME"] = saved


def test_backup_writes_a_custom_dump_and_a_manifest_per_table(source, tmp_path):
    directory = backup.backup(source, tmp_path)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert (directory / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert manifest["dump"]["format"] == "custom" and len(manifest["dump"]["sha256"]) == 64
    assert manifest["server_version"].startswith("15") and "15." in manifest["pg_dump"]
    tables = manifest["tables"]
    assert {"auditlog_logentry", "access_readevent", "people_student", "alerts_warninglevel"} <= set(tables)
    assert tables["alerts_warninglevel"]["rows"] > 0  # seeded by a data migration
    assert all(len(t["checksum"]) == 32 for t in tables.values())


def test_the_drill_finds_a_difference(source, tmp_path):
    directory = backup.backup(source, tmp_path)
    expected = json.loads((directory / "manifest.json").read_text())["tables"]
    name = f"{source['NAME']}_drill_diff"
    backup.drop(source, name)
    backup.restore(source, source, directory, name)
    try:
        with connect(source, name, autocommit=True) as conn:
            conn.execute("INSERT INTO django_session VALUES ('extra', 'x', now())")
            conn.execute("UPDATE alerts_warninglevel SET name_en = name_en || '!' WHERE id = (SELECT min(id) FROM alerts_warninglevel)")
            restored = backup.table_manifest(conn)
    finally:
        backup.drop(source, name)
    different = {t.table: t for t in backup.compare(expected, restored) if not t.equal}
    assert set(different) == {"django_session", "alerts_warninglevel"}
    assert different["django_session"].rows_restored == different["django_session"].rows_backup + 1
    assert different["alerts_warninglevel"].rows_restored == different["alerts_warninglevel"].rows_backup
    assert not different["alerts_warninglevel"].checksum_equal


def test_the_restore_drill_reports_every_table_equal(source, tmp_path, django_db_blocker):
    """`runxin restore-drill` against the test database: back up, restore into a new database, compare."""
    out = StringIO()
    with django_db_blocker.unblock():
        saved = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = source["NAME"]
        try:
            call_command("restore_drill", "--workdir", str(tmp_path), stdout=out)
        finally:
            connection.close()
            connection.settings_dict["NAME"] = saved
    text = out.getvalue()
    assert "RESTORE DRILL PASSED: every table equal." in text
    assert "different: 0" in text and "Audit chain on the copy: intact" in text
    lines = text.splitlines()
    assert any(line.startswith("auditlog_logentry ") and line.endswith("equal") for line in lines)
    level = next(line.split() for line in lines if line.startswith("alerts_warninglevel "))
    assert level[1] == level[2] != "0" and level[3] == "equal"  # seeded rows, same count on both sides
    scratch = next(line for line in lines if line.startswith("Restored into: ")).split()[2]
    with connect(source, "postgres") as conn:  # the scratch database is dropped afterwards
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch]).fetchone() is None

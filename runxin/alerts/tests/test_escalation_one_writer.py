"""One writer per table (issue 10): notification rows are written only by runxin/notify/services.py
(notify() for one event, notify_many() for bulk paths such as the escalation sweep) and warning history rows only
by runxin/alerts/services.py (the transitions, and record_events() in bulk). A second writer fails the build."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OWNERS = {
    "notify_notification": {"notify/services.py"},
    "alerts_warningevent": {"alerts/services.py"},
}

_WRITES = {
    "notify_notification": re.compile(
        r"Notification\.objects\.(create|get_or_create|update_or_create|bulk_create)\b"
        r"|\bNotification\s*\(\s*[a-z_]+\s*="  # an instance to save() or bulk_create
        r"|INSERT\s+INTO\s+\"?notify_notification"
        r"|COPY\s+\"?notify_notification"
        r"|Notification\._meta\.db_table",
        re.IGNORECASE,
    ),
    "alerts_warningevent": re.compile(
        r"WarningEvent\.objects\.(create|get_or_create|update_or_create|bulk_create)\b"
        r"|\bWarningEvent\s*\(\s*[a-z_]+\s*="
        r"|INSERT\s+INTO\s+\"?alerts_warningevent"
        r"|COPY\s+\"?alerts_warningevent"
        r"|WarningEvent\._meta\.db_table",
        re.IGNORECASE,
    ),
}


def writers(table: str) -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative or relative.startswith("testing/"):
            continue
        if _WRITES[table].search(path.read_text(encoding="utf-8")):
            found.add(relative)
    return found


@pytest.mark.parametrize("table", sorted(OWNERS))
def test_each_table_has_one_writer(table):
    assert writers(table) == OWNERS[table], (
        f"{table} is written only through its owner's services {sorted(OWNERS[table])}: "
        f"call notify.services.notify_many / alerts.services.record_events instead")


@pytest.mark.parametrize(("table", "line"), [
    ("notify_notification", "Notification.objects.bulk_create(rows)"),
    ("notify_notification", "Notification(recipient_id=1, channel='inbox').save()"),
    ("notify_notification", "cursor.execute('INSERT INTO notify_notification (recipient_id) SELECT 1')"),
    ("alerts_warningevent", "WarningEvent.objects.create(warning=w, kind='escalated')"),
    ("alerts_warningevent", "INSERT INTO alerts_warningevent\n (warning_id, at) SELECT id, now()"),
    ("alerts_warningevent", "events = [WarningEvent(warning=w) for w in ws]"),
])
def test_the_pattern_catches_the_ways_a_row_is_made(table, line):
    assert _WRITES[table].search(line)


@pytest.mark.parametrize(("table", "line"), [
    ("notify_notification", "Notification.objects.filter(recipient=u).update(read_at=now)"),
    ("notify_notification", "def _tell(warning: Warning, *, event: WarningEvent) -> Notification:"),
    ("alerts_warningevent", "WarningEvent.objects.filter(kind='escalated').count()"),
    ("alerts_warningevent", "def history(warning) -> list[WarningEvent]:"),
])
def test_reads_are_not_writes(table, line):
    assert not _WRITES[table].search(line)


def test_the_old_raw_sql_writer_would_fail(tmp_path):
    """What escalation.py held before issue 10: the test names it."""
    old = 'cursor.execute("""\n    INSERT INTO notify_notification\n        (recipient_id, channel) SELECT 1, \'inbox\'"""'
    assert _WRITES["notify_notification"].search(old)

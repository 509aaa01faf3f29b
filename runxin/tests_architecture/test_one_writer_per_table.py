"""Every table has one owning app whose code is the only writer: a module that writes another app's models
(through the manager, or in raw SQL) fails this test unless it is one of the few named exceptions below."""

import pytest

from .writes import scan_project, scan_source

# (writing module, the app whose table it writes): why. Keep it short; remove a line when its write moves to
# the owner's services (the test fails on a line that no longer matches, so the list cannot go stale).
EXCEPTIONS = {
    # Role assignments and mentor pairs live in people (the scoping layer's indexed rows), but granting
    # them is staff administration: accounts.grants and accounts.services are their one writer
    # (accounts/tests/test_grants_one_writer.py).
    ("runxin.accounts.grants", "people"): "grants are written only here",
    ("runxin.accounts.services", "people"): "mentor pairing (师生结对) is staff administration",
    # Expected to move to people.services (placement) and accounts.grants by the issue 10 placement work.
    ("runxin.imports.roster", "people"): "roster upsert of students, guardians and groups (ORM path)",
    ("runxin.imports.bulk", "people"): "roster upsert of students, guardians and groups (PostgreSQL path)",
    ("runxin.org.rollover", "people"): "year-end end/move of staff role assignments",
    # The exports writer records who exported what in audit's table, in the export's own transaction.
    ("runxin.exports.writer", "audit"): "the export audit row",
    # The synthetic city: school years, demo logins and their mentor pairs are seeded, not administered.
    ("runxin.demo.generator", "org"): "seeds the demo's school year",
    ("runxin.demo.staff", "accounts"): "demo logins",
    ("runxin.demo.staff", "people"): "demo mentor pairs",
}


def test_no_module_writes_another_apps_tables():
    found = scan_project()
    pairs = {(w.module, w.app) for w in found}
    unexpected = [w for w in found if (w.module, w.app) not in EXCEPTIONS]
    assert not unexpected, "writes to another app's tables (call the owner's services instead):\n" + "\n".join(
        f"  {w.module}:{w.line} writes {w.app}.{w.target}" for w in unexpected)
    stale = sorted(set(EXCEPTIONS) - pairs)
    assert not stale, f"these exceptions no longer write: remove them from EXCEPTIONS: {stale}"


MODELS = {"people": {"Student": "people_student", "Enrollment": "people_enrollment"},
          "notify": {"Notification": "notify_notification"}}
TABLES = {"people_student": "people", "people_enrollment": "people", "notify_notification": "notify"}


@pytest.mark.parametrize("source, caught", [
    ("from runxin.people.models import Enrollment\nEnrollment.objects.create(student_id=1)", "Enrollment"),
    ("from runxin.people.models import Enrollment as E\nE.objects.filter(id=1).update(ended_on=None)", "Enrollment"),
    ("def f():\n    from runxin.people.models import Student\n    Student.objects.bulk_create([])", "Student"),
    ("from runxin.people.models import Student\nStudent._default_manager.all().delete()", "Student"),
    ("c.execute('UPDATE people_enrollment SET ended_on = NULL')", "people_enrollment"),
    ("c.execute('insert into people_student (name) values (%s)')", "people_student"),
    ("from runxin.notify.models import Notification as N\nsql = f'INSERT INTO {N._meta.db_table} (x) VALUES (1)'",
     "notify_notification"),
])
def test_the_scan_sees_each_kind_of_write(source, caught):
    writes = scan_source(source, module="runxin.imports.roster", app="imports", models_of=MODELS, tables=TABLES)
    assert [w.target for w in writes] == [caught]


@pytest.mark.parametrize("source", [
    "from runxin.people.models import Student\nStudent.objects.filter(id=1).values_list('id')",  # a read
    "from runxin.people.models import Student\nStudent.objects.filter(id=1).exists()",
    "c.execute('SELECT * FROM people_student')",
    "from .models import Batch\nBatch.objects.create()",  # its own app's model
    "c.execute('UPDATE imports_batch SET state = 1')",  # its own app's table (not in TABLES: unknown)
])
def test_reads_and_own_writes_pass(source):
    assert scan_source(source, module="runxin.imports.roster", app="imports", models_of=MODELS, tables=TABLES) == []


def test_an_own_app_write_is_not_flagged_for_the_owner():
    source = "from runxin.people.models import Student\nStudent.objects.create(name='x')"
    assert scan_source(source, module="runxin.people.services", app="people", models_of=MODELS, tables=TABLES) == []

"""accounts/grants.py is the one writer of role assignments: any other module that creates one (or re-opens an
ended one) must be listed here with the reason it may, so a second writer fails the build (issue 9, item 1)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ALLOWED = {
    "accounts/grants.py": "the one door: grant() and approve() under one rule set, and seed() for the demo",
    "testing/factories.py": "test fixtures (f.assign)",
    "people/committee.py": "the class psych committee role comes with the appointment (student-side roles are never granted through grants.rule)",
}

# Every way Django (or SQL) brings a RoleAssignment row into being or back to life.
_WRITES = re.compile(
    r"RoleAssignment\.objects\.(create|get_or_create|update_or_create|bulk_create)\b"
    r"|RoleAssignment\s*\("  # an instance to save() or bulk_create
    r"|write\(\s*RoleAssignment\b"  # the demo generator's COPY writer
    r"|INSERT\s+INTO\s+\S*roleassignment"
    r"|RoleAssignment\._meta\.db_table"
    r"|RoleAssignment\.objects\.[^\n]*\.update\([^)]*is_active\s*=\s*True",
    re.IGNORECASE,
)


def writers() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        # A class statement or a type hint naming the model is not a write.
        text = re.sub(r"class RoleAssignment\(|-> (list\[)?RoleAssignment|: RoleAssignment", "", text)
        if _WRITES.search(text):
            found.add(relative)
    return found


def test_role_assignments_are_created_only_through_accounts_grants():
    offenders = writers() - set(ALLOWED)
    assert offenders == set(), f"grant roles through runxin.accounts.grants.grant, or justify in ALLOWED: {offenders}"


def test_the_list_holds_no_stale_entry():
    assert set(ALLOWED) <= writers(), "remove modules that no longer write role assignments from ALLOWED"


def test_the_pattern_catches_the_ways_a_row_is_made(tmp_path):
    for line in ("RoleAssignment.objects.create(user=u, role='psych_teacher')",
                 "RoleAssignment.objects.get_or_create(user=u)",
                 "RoleAssignment.objects.bulk_create(rows)",
                 "RoleAssignment(user=u).save()",
                 "cursor.execute('INSERT INTO people_roleassignment (user_id) VALUES (1)')",
                 "RoleAssignment.objects.filter(pk=1).update(is_active=True)"):
        assert _WRITES.search(line), line
    assert not _WRITES.search("RoleAssignment.objects.filter(user=u, is_active=True)")

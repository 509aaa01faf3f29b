"""The scoping layer is the only door to student data: any other module that queries students directly
must be on this list with the reason it may (counts without names, writes after a scope check …)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ALLOWED = {
    "access/scope.py": "the scoping layer itself",
    "analytics/refresh.py": "finds which schools' counts to recompute from changed students (ids and schools, no student leaves it)",
    "access/break_glass.py": "finds a student by 学籍号 for an audited emergency grant with a stated reason",
    "org/rollover.py": "set-based promotion of a school the user may roll over (checked by the service)",
    "org/selectors.py": "enrolled counts per unit (aggregates, no names)",
    "audit/selectors.py": "resolves 学籍号 ↔ id for the auditor, who never sees names",
    "imports/roster.py": "upserts by 学籍号 for a school the importer's scope covers (checked first)",
    "alerts/services.py": "the row lock that serialises reports about one student",
    "alerts/intake.py": "lookups after the reporter's grants have named the class, the child or the student",
    "alerts/views.py": "a parent's own children, taken from their grants",
    "org/services.py": "counts enrolled students under a unit before it may be closed (counts, no names)",
    "accounts/students.py": "whether a student account's own student is still enrolled; issuing for a class the "
                            "teacher's scope covers (checked first)",
}


def test_no_other_module_queries_students_directly():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if ("/tests/" in f"/{relative}" or "/migrations/" in relative
                or relative.startswith(("demo/", "testing/", "tests_architecture/"))):
            continue
        if "Student.objects" in path.read_text(encoding="utf-8") and relative not in ALLOWED:
            offenders.append(relative)
    assert offenders == [], f"query students through runxin.access.scope, or justify in ALLOWED: {offenders}"

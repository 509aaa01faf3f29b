"""One entry of a student's file (一人一档, runxin/cases/selectors.py). Each app that keeps records about a student
offers `file_entries(user, student, held)` in its selectors, returning these; `held` is the set of permissions the
user holds for this student (access.scope.permissions_for_student), so each app decides what its entries show at
each detail level. Plain data, no imports: every app may use it."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    at: datetime  # aware; the file is sorted newest first
    kind: str  # "screening", "warning", "plan", "session", "consultation", "visit", "referral", "follow_up", ...
    title: str  # one line, already translated: "Counseling session (individual, 50 min)"
    detail: str = ""  # what this viewer may read of it; empty when the detail level allows only the fact
    url: str = ""  # the record's own page, when this viewer may open it
    actor: str = ""  # who did it (display name), when shown
    badges: tuple[str, ...] = field(default_factory=tuple)  # short labels: "red", "overdue", "urgent"

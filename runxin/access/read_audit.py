"""The one way to log a read of a sensitive student record, and it fails closed.

Every view or export that shows identified sensitive data calls `record_read` (one student) or
`record_reads` (a list, a report, an export) before it renders, inside the view's transaction
(`decorators.audited_read`). If the audit row cannot be written, `ReadAuditFailed` is raised: the view
stops, its transaction rolls back and the visitor gets an error page, never the data. (No savepoint of
its own: a caller that caught the error could not go on in a broken transaction, which is the point.)
"""

from collections.abc import Iterable

from django.db import DatabaseError

from runxin.people.models import Student

from .ip import client_ip
from .models import ReadEvent
from .scope import ordinary_permissions

__all__ = ["ReadAuditFailed", "client_ip", "record_read", "record_reads"]

BULK_BATCH = 2000


class ReadAuditFailed(Exception):
    """The read audit could not be written: the record must not be shown."""


def _where(request) -> tuple[str | None, str]:
    return client_ip(request), (request.get_full_path()[:300] if request is not None else "")


def record_read(*, user, student: Student, record_type: str, record_id: str | int = "", request=None,
                purpose: str = "") -> ReadEvent:
    """Write one read-audit row. Call it on every view of an identified sensitive record, before rendering.
    A read that the user's role assignments would not allow is marked as a break-glass read.
    Raises ReadAuditFailed when the row cannot be written."""
    remote_addr, path = _where(request)
    try:
        return ReadEvent.objects.create(
            user=user, student=student, record_type=record_type, record_id=str(record_id),
            purpose=purpose[:200], via_break_glass=not ordinary_permissions(user, student),
            remote_addr=remote_addr, path=path,
        )
    except DatabaseError as error:
        raise ReadAuditFailed(f"read audit not written: {record_type}") from error


def record_reads(*, user, students: Iterable[int | tuple[int, str | int]], record_type: str, request=None,
                 purpose: str = "") -> int:
    """One read-audit row per student listed (a report, a results page, an export), in bulk INSERTs.
    `students` holds student ids, or (student id, record id) pairs; a student listed twice with the same
    record id is written once. The lists come from the user's ordinary scope (scope.students), so none of
    these reads is a break-glass read. Returns the number of rows; raises ReadAuditFailed on failure."""
    remote_addr, path = _where(request)
    seen: dict[tuple[int, str], None] = {}
    for entry in students:
        student_id, record_id = entry if isinstance(entry, tuple) else (entry, "")
        seen[(student_id, str(record_id))] = None
    rows = [
        ReadEvent(user=user, student_id=student_id, record_type=record_type, record_id=record_id,
                  purpose=purpose[:200], via_break_glass=False, remote_addr=remote_addr, path=path)
        for student_id, record_id in seen
    ]
    if not rows:
        return 0
    try:
        ReadEvent.objects.bulk_create(rows, batch_size=BULK_BATCH)
    except DatabaseError as error:
        raise ReadAuditFailed(f"read audit not written: {record_type}") from error
    return len(rows)

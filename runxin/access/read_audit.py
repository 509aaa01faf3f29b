"""The API every feature uses to log a read of a sensitive student record."""

from runxin.audit.ip import client_ip
from runxin.people.models import Student

from .models import ReadEvent
from .scope import ordinary_permissions

__all__ = ["client_ip", "record_read"]


def record_read(*, user, student: Student, record_type: str, record_id: str | int = "", request=None,
                purpose: str = "") -> ReadEvent:
    """Write one read-audit row. Call it on every view of an identified sensitive record, before rendering.
    A read that the user's role assignments would not allow is marked as a break-glass read."""
    return ReadEvent.objects.create(
        user=user,
        student=student,
        record_type=record_type,
        record_id=str(record_id),
        purpose=purpose[:200],
        via_break_glass=not ordinary_permissions(user, student),
        remote_addr=client_ip(request),
        path=(request.get_full_path()[:300] if request is not None else ""),
    )

"""Break-glass (紧急访问): emergency access to one student outside the user's ordinary scope.

A member of a care team (anyone holding student.profile somewhere) names the student by number and states a
reason. The grant opens the student's roster, profile and risk level – never clinical records – for
BREAK_GLASS_HOURS, is recorded in the change log (the audit search shows it highlighted), and every read made
under it is marked in the read audit. Administrators and roles without care permissions cannot use it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.people.models import Student

from . import roles, scope
from .ip import client_ip
from .models import BreakGlassGrant

MIN_REASON_LENGTH = 10
ADMIN_ROLES = roles.ADMIN_ROLES


class BreakGlassRefused(Exception):
    """The request is refused; the message says why, in the user's language."""


@dataclass(frozen=True)
class Outcome:
    student_id: int
    grant: BreakGlassGrant | None  # None when the student is already in the user's ordinary scope
    reused: bool = False


def may_use(user) -> bool:
    """Care-team members may ask for emergency access; administrators and everyone else may not."""
    if scope.role_codes(user) & ADMIN_ROLES:
        return False
    return scope.has_permission(user, roles.BREAK_GLASS)


def active_grants(user) -> list[BreakGlassGrant]:
    """The user's own grants of the last week, newest first (their students are shown by number)."""
    since = timezone.now() - timedelta(days=7)
    return list(
        BreakGlassGrant.objects.filter(user_id=user.pk, granted_at__gte=since)
        .annotate(student_number=F("student__student_number")).order_by("-granted_at")[:20]
    )


@transaction.atomic
def break_glass_request(*, user, student_number: str, reason: str, request=None) -> Outcome:
    """Grant emergency access to the student with this number, or say why not.

    Guarantees: the reason has at least MIN_REASON_LENGTH characters; nothing is granted for a student the
    user already sees; an active grant is reused rather than stacked; the grant expires on its own.
    """
    if not may_use(user):
        raise BreakGlassRefused(_("Your role cannot use emergency access."))
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise BreakGlassRefused(
            _("State the reason in at least %(count)d characters: it is shown to the auditors.") % {"count": MIN_REASON_LENGTH}
        )
    number = student_number.strip()
    # The one lookup outside the user's scope: by exact number, for the student being asked about.
    student = Student.objects.filter(student_number=number).first() if number else None
    if student is None:
        raise BreakGlassRefused(_("No student has the number %(number)s. Check the student number (学籍号).") % {"number": number})
    if scope.ordinary_permissions(user, student) & {roles.STUDENT_PROFILE}:
        return Outcome(student_id=student.pk, grant=None)
    now = timezone.now()
    existing = BreakGlassGrant.objects.filter(user_id=user.pk, student=student, expires_at__gt=now).first()
    if existing is not None:
        return Outcome(student_id=student.pk, grant=existing, reused=True)
    grant = BreakGlassGrant.objects.create(
        user=user, student=student, reason=reason,
        expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS), remote_addr=client_ip(request),
    )
    return Outcome(student_id=student.pk, grant=grant)

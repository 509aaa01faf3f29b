"""Writes about accounts: creating staff, granting and ending roles, locking, resetting, mentor pairs.

Each function checks that the acting user may do it (accounts/staff.py), validates before writing, and runs in
one transaction. Changes to users, role assignments, second-factor devices and mentor pairs are recorded by
the audit trail's model tracking; changes without a model save (an unlock) write their own audit event.
"""

import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from runxin import audit
from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import MentorPair, RoleAssignment, Student

from . import grants, staff
from .models import StudentCredential, User
from .staff import StaffError

# No look-alike characters (0/O, 1/l/I): the password is read off a screen and typed once.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def temporary_password(user: User | None = None) -> str:
    """A random password that passes every configured validator (the user must change it at first sign-in)."""
    while True:
        body = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        candidate = f"{body[:4]}-{body[4:8]}-{body[8:]}"
        if not (any(c.islower() for c in body) and any(c.isupper() for c in body) and any(c.isdigit() for c in body)):
            continue
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate


def _active_assignments(user: User) -> list[RoleAssignment]:
    today = timezone.localdate()
    return [a for a in RoleAssignment.objects.filter(user=user, is_active=True).select_related("org_unit")
            if (a.ends_on is None or a.ends_on >= today)]


def _require_account_rights(actor: User, target: User, *, hands_over: bool = False) -> None:
    """`hands_over`: the action gives the account back to whoever holds its new credentials (a password or
    second-factor reset, a reactivation), which for clinical staff only the level above may do."""
    if actor.pk == target.pk:
        raise PermissionDenied("own account")
    active = [(a.role, a.org_unit.path if a.org_unit else None) for a in _active_assignments(target)]
    if not staff.governs_account(actor, active):
        raise PermissionDenied("account outside your administration")
    if hands_over:
        grants.check_clinical_reset(actor=actor, target=target)


def _check_grant_form(role: str, unit: OrgUnit | None) -> None:
    if role not in staff.STAFF_ROLES:
        raise StaffError(_("Choose a staff role."))
    if unit is None:
        raise StaffError(_("Choose the org unit where the role is held."))
    if unit.kind not in roles.ROLE_UNIT_KINDS.get(role, set()):
        raise StaffError(_("A %(role)s is not held at a %(kind)s.") % {
            "role": roles.role_label(role), "kind": unit.get_kind_display()})


@transaction.atomic
def staff_create(*, actor: User, username: str, display_name: str, role: str, unit: OrgUnit, phone: str = "",
                 email: str = "") -> tuple[User, str]:
    """Create a staff account with one role (granted through accounts/grants.py, so a clinical role asked for
    by a school leader waits for approval and the account holds nothing meanwhile), with a temporary password
    it must change at first sign-in. Returns the user and the password (shown once, never stored in clear);
    `grants.pending_of(user)` tells whether the role waits for approval."""
    username = username.strip()
    if not username:
        raise StaffError(_("Enter a username."))
    if User.objects.filter(username__iexact=username).exists():
        raise StaffError(_("The username %(username)s is taken.") % {"username": username})
    _check_grant_form(role, unit)
    ruling = grants.rule(actor=actor, target=None, role=role, unit=unit)
    if ruling.refusal:
        raise grants.GrantRefused(ruling.refusal, role)
    user = User(username=username, display_name=display_name.strip(), phone=phone.strip(), email=email.strip(),
                must_change_password=True)
    password = temporary_password(user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same username created a moment ago by someone else
        raise StaffError(_("The username %(username)s is taken.") % {"username": username}) from None
    grants.grant(actor=actor, target=user, role=role, unit=unit, held=set(), student_side=False)
    return user, password


@transaction.atomic
def assignment_add(*, actor: User, target: User, role: str, unit: OrgUnit) -> grants.Outcome:
    """Give `target` the role at the unit from today (re-opening an earlier assignment of the same role there),
    or record it as awaiting the level above's approval (a clinical role asked for by a school leader)."""
    _check_grant_form(role, unit)
    outcome = grants.grant(actor=actor, target=target, role=role, unit=unit)
    if outcome.unchanged:
        if outcome.pending is not None:
            raise StaffError(_("This role already awaits approval for %(user)s.") % {"user": target})
        raise StaffError(_("%(user)s already holds this role there.") % {"user": target})
    return outcome


@transaction.atomic
def assignment_end(*, actor: User, assignment: RoleAssignment) -> None:
    """End a role assignment today: the role stops opening anything at once."""
    if assignment.user_id == actor.pk:
        raise StaffError(_("You cannot change your own roles; ask another administrator."))
    path = assignment.org_unit.path if assignment.org_unit_id else None
    if not staff.governs_assignment(actor, assignment.role, path):
        raise PermissionDenied("assignment outside your administration")
    if not assignment.is_active:
        raise StaffError(_("This role has already ended."))
    assignment.is_active = False
    assignment.ends_on = timezone.localdate()
    assignment.save(update_fields=["is_active", "ends_on"])


@transaction.atomic
def user_set_active(*, actor: User, target: User, active: bool) -> None:
    """Deactivate (signs the person out everywhere at their next request) or reactivate an account."""
    _require_account_rights(actor, target, hands_over=active)
    if target.is_active == active:
        raise StaffError(_("The account is already active.") if active else _("The account is already deactivated."))
    target.is_active = active
    target.save(update_fields=["is_active"])


@transaction.atomic
def user_unlock(*, actor: User, target: User) -> int:
    """Lift a sign-in lockout before its cool-off ends. Returns the number of failure records cleared."""
    from axes.utils import reset

    from .selectors import locked_usernames

    _require_account_rights(actor, target)
    if target.username not in locked_usernames([target.username]):
        raise StaffError(_("This account is not locked."))
    cleared = reset(username=target.username)
    audit.record_event(target, action="update", changes={"sign_in_lockout": ["locked", "unlocked"]}, actor=actor)
    return cleared


@transaction.atomic
def second_factor_reset(*, actor: User, target: User) -> None:
    """Remove the person's authenticator: they enrol a new one at their next sign-in (a lost phone)."""
    _require_account_rights(actor, target, hands_over=True)
    devices = list(TOTPDevice.objects.filter(user=target))
    if not devices:
        raise StaffError(_("This person has no second factor set up."))
    for device in devices:
        device.delete()  # each deletion is a change event in the audit trail


@transaction.atomic
def password_reset(*, actor: User, target: User) -> str:
    """Give the person a new temporary password (shown once) that they must change at their next sign-in."""
    _require_account_rights(actor, target, hands_over=True)
    password = temporary_password(target)
    target.set_password(password)
    target.must_change_password = True
    target.save(update_fields=["password", "must_change_password"])
    audit.record_event(target, action="update", changes={"password": ["", "reset by an administrator"]}, actor=actor)
    return password


@transaction.atomic
def password_changed(*, user: User) -> None:
    """The person chose a new password themselves: stop asking them to."""
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["must_change_password", "password_changed_at"])
    # A student's sealed first password (accounts/students.py) is gone for good once they chose their own.
    StudentCredential.objects.filter(user=user).exclude(first_password="").update(first_password="")


# ---- mentor pairing (师生结对) ----------------------------------------------------------------------------


@transaction.atomic
def mentor_pair(*, actor: User, mentor: User, school: OrgUnit, student: Student) -> MentorPair:
    """Pair a mentor with a student of the school where the mentor holds the mentor role."""
    if not scope.unit_permission(actor, school, roles.MENTOR_PAIR):
        raise PermissionDenied(roles.MENTOR_PAIR)
    if student.school_id != school.pk or not scope.students(actor, roles.STUDENT_ROSTER).filter(pk=student.pk).exists():
        raise StaffError(_("Only students of %(school)s can be paired with this mentor.") % {"school": school.name})
    if MentorPair.objects.select_for_update().filter(mentor=mentor, student=student, is_active=True).exists():
        raise StaffError(_("This student is already paired with this mentor."))
    return MentorPair.objects.create(mentor=mentor, student=student, since=timezone.localdate())


def mentor_pairs_end_elsewhere(*, student_ids=None) -> int:
    """End the pairs of students who moved away from their mentor's school (a transfer, the roster import, the
    rollover): a mentor reaches only students of the school where they hold the mentor role. Set-wise; run by
    the accounts sweep and when a case follows a student to a new school. Returns the number of pairs ended."""
    pairs = MentorPair.objects.filter(is_active=True).exclude(Exists(RoleAssignment.objects.filter(
        user_id=OuterRef("mentor_id"), role="mentor", is_active=True, org_unit_id=OuterRef("student__school_id"))))
    if student_ids is not None:
        pairs = pairs.filter(student_id__in=list(student_ids))
    return MentorPair.objects.filter(pk__in=list(pairs.values_list("pk", flat=True))).update(
        is_active=False, until=timezone.localdate())


@transaction.atomic
def mentor_unpair(*, actor: User, pair: MentorPair, school: OrgUnit) -> None:
    """End a pair today; the mentor no longer sees the student."""
    if not scope.unit_permission(actor, school, roles.MENTOR_PAIR) or pair.student.school_id != school.pk:
        raise PermissionDenied(roles.MENTOR_PAIR)
    if not pair.is_active:
        raise StaffError(_("This pair has already ended."))
    pair.is_active = False
    pair.until = timezone.localdate()
    pair.save(update_fields=["is_active", "until"])

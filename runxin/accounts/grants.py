"""Granting roles: the one door through which a role assignment comes to be, or is re-opened.

Every way to grant a role – the staff pages, the staff file import, its command, an approval – calls
`rule` (may this actor give this role at this unit to this account?) and `grant` (do it). One rule set:

  * nobody grants themselves anything (and nobody approves a grant for themselves or their own request);
  * the three administrators (system, security, audit) are held alone: an account holding one gets no other
    role, and an account holding any other role gets no administrator role;
  * student, parent and class psych committee roles come with a student's record and are never granted by
    `grant`; an account that holds one (or a guardian's account) never gets a staff role (a student's own
    account holds its role through `student_role_hold`, called by accounts/students.py when it is issued);
  * the actor must administer the unit for that role (accounts/staff.py);
  * a clinical role (holding student.clinical) granted by someone without clinical authority over the unit –
    a school leader – is not given: it waits as a PendingGrant until someone at the level above approves it.

`grant` writes through `_write`, the only code outside the demo city's documented bulk path (`seed`) and test
factories that creates a RoleAssignment (runxin/accounts/tests/test_grants_one_writer.py holds it so).
Rollover moves existing assignments to next year's units; it grants nothing.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from runxin.access import roles, scope
from runxin.people.models import Guardian, RoleAssignment

from . import staff
from .models import PendingGrant, User

# One message per reason, each a whole sentence so that it translates; the import shows it as the row's
# problem ("line N, column 角色: …"), the pages with a capital letter.
MESSAGES = {
    "self": gettext_noop("you may not grant the role %(role)s: nobody grants themselves a role"),
    "student_side_role": gettext_noop(
        "you may not grant the role %(role)s: student, parent and class psych committee roles come with a "
        "student's record"),
    "student_account": gettext_noop(
        "you may not grant the role %(role)s: this is a student's or a parent's account, which never holds a staff role"),
    "separation": gettext_noop(
        "you may not grant the role %(role)s: the administrator roles (system, security, audit) are held alone, "
        "never with another role"),
    "unit": gettext_noop("you may not grant the role %(role)s: it is not held at this kind of unit"),
    "outside": gettext_noop("you may not grant the role %(role)s: the role or the unit is outside what you administer"),
    "no_actor": gettext_noop(
        "you may not grant the role %(role)s: roles are granted by a named person (run the command with --as)"),
}


class GrantRefused(staff.StaffError):
    """A grant the rules refuse; `code` says which rule, str() the sentence in the active language."""

    def __init__(self, code: str, role: str) -> None:
        self.code, self.role = code, role
        super().__init__(capfirst(_(MESSAGES[code]) % {"role": roles.role_label(role)}))


@dataclass(frozen=True)
class UnitRef:
    """Where a role would be held, when the unit does not exist yet (a class the import will create)."""

    kind: str
    path: str


@dataclass(frozen=True)
class Ruling:
    refusal: str | None = None  # a key of MESSAGES
    pending: bool = False  # a clinical role that waits for approval by the level above


@dataclass
class Outcome:
    assignment: RoleAssignment | None = None
    pending: PendingGrant | None = None
    unchanged: bool = False  # the account already held the role there (or it already awaits approval)


def held_roles(user: User | None) -> set[str]:
    """The roles the account holds now (every active assignment, whatever its dates: a role about to start
    counts, so the administrator separation cannot be dodged by a start date)."""
    if user is None or user.pk is None:
        return set()
    return set(RoleAssignment.objects.filter(user=user, is_active=True).values_list("role", flat=True))


def is_student_side(user: User | None) -> bool:
    """A student's, class psych committee member's or parent's account (ever), or a guardian's."""
    if user is None or user.pk is None:
        return False
    return (RoleAssignment.objects.filter(user=user, role__in=staff.STUDENT_SIDE_ROLES).exists()
            or Guardian.objects.filter(user=user).exists())


def rule(*, actor: User | None, target: User | None, role: str, unit, held: set[str] | None = None,
         student_side: bool | None = None, target_is_actor: bool | None = None) -> Ruling:
    """May `actor` give `role` at `unit` (an OrgUnit or a UnitRef) to `target` (None: an account about to be
    made)? `held` and `student_side` describe the target; they are read from the database when not given (the
    import passes them, including what earlier rows of the same file grant)."""
    if role in staff.STUDENT_SIDE_ROLES:
        return Ruling("student_side_role")
    if role not in roles.ROLES or unit is None or unit.kind not in roles.ROLE_UNIT_KINDS.get(role, set()):
        return Ruling("unit")
    if actor is None or not actor.is_active:
        return Ruling("no_actor")
    if target_is_actor if target_is_actor is not None else (target is not None and target.pk == actor.pk):
        return Ruling("self")
    if student_side if student_side is not None else is_student_side(target):
        return Ruling("student_account")
    if staff.separation_problem(role, held if held is not None else held_roles(target)):
        return Ruling("separation")
    if not staff.may_grant(actor, role, unit):
        return Ruling("outside")
    if role in staff.CLINICAL_ROLES and not staff.clinical_authority(actor, unit.path):
        return Ruling(pending=True)
    return Ruling()


@contextmanager
def _acting(actor: User | None):
    """Name the actor on the audit rows when no request does (the import command, a background commit); inside
    a request that already names one, change nothing."""
    from auditlog.context import auditlog_value, set_actor
    from django.db.models.signals import pre_save

    current = auditlog_value.get(None)
    # auditlog leaves a finished context's data behind; it is live only while its signal receiver is connected.
    live = current is not None and any(key[0] == current.get("signal_duid") for key, *_rest in pre_save.receivers)
    if actor is None or (live and getattr(current.get("actor"), "is_authenticated", False)):
        yield
        return
    with set_actor(actor, remote_addr=current.get("remote_addr") if live else None):
        yield
    if live:
        auditlog_value.set(current)


def _write(*, user: User, role: str, unit, starts_on: date) -> tuple[RoleAssignment, bool]:
    """Create the assignment, or re-open the ended one (one row per user, role and unit).
    Returns (assignment, whether anything changed)."""
    existing = RoleAssignment.objects.select_for_update().filter(user=user, role=role, org_unit=unit,
                                                                student__isnull=True).first()
    if existing is not None:
        if existing.is_active and (existing.ends_on is None or existing.ends_on >= starts_on):
            return existing, False
        existing.is_active, existing.starts_on, existing.ends_on = True, starts_on, None
        existing.save(update_fields=["is_active", "starts_on", "ends_on"])
        scope.forget(user)
        return existing, True
    assignment = RoleAssignment.objects.create(user=user, role=role, org_unit=unit, starts_on=starts_on)
    scope.forget(user)
    return assignment, True


@transaction.atomic
def grant(*, actor: User | None, target: User, role: str, unit, held: set[str] | None = None,
          student_side: bool | None = None) -> Outcome:
    """Give `target` the role at `unit` from today, or – for a clinical role the actor may not grant alone –
    record a pending grant for the level above to approve. Raises GrantRefused when a rule refuses."""
    ruling = rule(actor=actor, target=target, role=role, unit=unit, held=held, student_side=student_side)
    if ruling.refusal:
        raise GrantRefused(ruling.refusal, role)
    with _acting(actor):
        if ruling.pending:
            if RoleAssignment.objects.filter(user=target, role=role, org_unit=unit, is_active=True).exists():
                return Outcome(unchanged=True)
            pending = PendingGrant.objects.filter(user=target, role=role, org_unit=unit,
                                                  state=PendingGrant.State.PENDING).first()
            if pending is not None:
                return Outcome(pending=pending, unchanged=True)
            pending = PendingGrant.objects.create(user=target, role=role, org_unit=unit, requested_by=actor)
            return Outcome(pending=pending)
        assignment, changed = _write(user=target, role=role, unit=unit, starts_on=timezone.localdate())
        return Outcome(assignment=assignment, unchanged=not changed)


# ---- approval by the level above ---------------------------------------------------------------------------


def _approvable(user: User):
    """The pending grants `user` may decide: a unit under their clinical authority, not for themselves and not
    asked for by themselves."""
    paths = staff.clinical_authority_paths(user)
    if not paths:
        return PendingGrant.objects.none()
    where = Q()
    for path, including_itself in paths:
        under = Q(org_unit__path__startswith=path)
        where |= under if including_itself else under & ~Q(org_unit__path=path)
    return (PendingGrant.objects.filter(where, state=PendingGrant.State.PENDING)
            .exclude(user=user).exclude(requested_by=user))


def may_approve_any(user: User) -> bool:
    return bool(staff.clinical_authority_paths(user))


def pending_for_approver(user: User) -> list[PendingGrant]:
    """What waits for this person's decision, oldest first."""
    return list(_approvable(user).select_related("user", "requested_by", "org_unit__school", "org_unit__district")
                .order_by("requested_at", "id")[:500])


def pending_of(target: User) -> list[PendingGrant]:
    """The grants that wait for approval for this account (shown on their staff page)."""
    rows = list(PendingGrant.objects.filter(user=target, state=PendingGrant.State.PENDING)
                .select_related("org_unit", "requested_by"))
    for row in rows:
        row.role_label = roles.role_label(row.role)
    return rows


def _decidable(approver: User, pending_id: int) -> PendingGrant:
    pending = PendingGrant.objects.select_for_update().select_related("user", "org_unit").filter(pk=pending_id).first()
    if pending is None:
        raise PermissionDenied("no such pending grant")
    if approver.pk in (pending.user_id, pending.requested_by_id):
        raise GrantRefused("self", pending.role)
    if not staff.clinical_authority(approver, pending.org_unit.path):
        raise PermissionDenied("pending grant outside your authority")
    if pending.state != PendingGrant.State.PENDING:
        raise staff.StaffError(_("This request has already been decided."))
    return pending


@transaction.atomic
def approve(*, approver: User, pending_id: int) -> RoleAssignment:
    """Approve a pending clinical grant: the role is given now, if the rules still allow it (the account may
    have become an administrator's or a student's meanwhile)."""
    pending = _decidable(approver, pending_id)
    target = pending.user
    if is_student_side(target):
        raise GrantRefused("student_account", pending.role)
    if staff.separation_problem(pending.role, held_roles(target)):
        raise GrantRefused("separation", pending.role)
    with _acting(approver):
        assignment, _changed = _write(user=target, role=pending.role, unit=pending.org_unit,
                                      starts_on=timezone.localdate())
        pending.state, pending.decided_by, pending.decided_at = PendingGrant.State.APPROVED, approver, timezone.now()
        pending.assignment = assignment
        pending.save(update_fields=["state", "decided_by", "decided_at", "assignment"])
    return assignment


@transaction.atomic
def refuse(*, approver: User, pending_id: int, reason: str) -> PendingGrant:
    """Refuse a pending clinical grant, saying why (the requester sees the reason on the person's page)."""
    reason = reason.strip()
    if not reason:
        raise staff.StaffError(_("Say why the request is refused."))
    pending = _decidable(approver, pending_id)
    with _acting(approver):
        pending.state, pending.decided_by, pending.decided_at = PendingGrant.State.REFUSED, approver, timezone.now()
        pending.reason = reason[:500]
        pending.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    return pending


# ---- account resets of clinical staff ----------------------------------------------------------------------


def check_clinical_reset(*, actor: User, target: User) -> None:
    """A password reset, a second-factor reset or a reactivation hands the account back to whoever holds the
    new credentials: for an account holding a clinical role only the level above may do it."""
    clinical = (RoleAssignment.objects.filter(user=target, is_active=True, role__in=staff.CLINICAL_ROLES)
                .values_list("role", "org_unit__path"))
    for role, path in clinical:
        if not staff.clinical_authority(actor, path):
            raise staff.StaffError(_(
                "%(user)s holds the role %(role)s: only the level above (the district centre or the security "
                "administrator) may reset or reactivate this account.") % {"user": target, "role": roles.role_label(role)})


# ---- a student's own role (accounts/students.py) ----------------------------------------------------------

STUDENT_ROLE = "student"


def student_role_hold(*, actor: User | None, user: User, student, school_class) -> tuple[RoleAssignment, bool]:
    """Give a student's account the student role for that student at `school_class` (their class), from today:
    re-open an ended one, or move the account's active one there (a transfer). One student role per account, and
    never on an account that holds a staff role. Returns (assignment, whether anything changed)."""
    if school_class is None or school_class.kind not in roles.ROLE_UNIT_KINDS.get(STUDENT_ROLE, set()):
        raise GrantRefused("unit", STUDENT_ROLE)
    if held_roles(user) - staff.STUDENT_SIDE_ROLES:
        raise GrantRefused("student_account", STUDENT_ROLE)
    today = timezone.localdate()
    with _acting(actor):
        rows = list(RoleAssignment.objects.select_for_update().filter(user=user, role=STUDENT_ROLE)
                    .order_by("-is_active", "-id"))
        here = next((a for a in rows if a.org_unit_id == school_class.pk and a.student_id == student.pk), None)
        current = here or next((a for a in rows if a.is_active), None)
        changed = False
        for other in rows:  # at most one open: any other ends today
            if other is not current and other.is_active:
                other.is_active, other.ends_on = False, today
                other.save(update_fields=["is_active", "ends_on"])
                changed = True
        if current is None:
            current = RoleAssignment.objects.create(user=user, role=STUDENT_ROLE, org_unit=school_class,
                                                    student=student, starts_on=today)
            changed = True
        elif (current.org_unit_id, current.student_id, current.is_active, current.ends_on) != (
                school_class.pk, student.pk, True, None):
            current.org_unit, current.student, current.is_active, current.ends_on = school_class, student, True, None
            current.starts_on = current.starts_on if current.starts_on and current.starts_on <= today else today
            current.save(update_fields=["org_unit", "student", "is_active", "ends_on", "starts_on"])
            changed = True
    scope.forget(user)
    return current, changed


def student_role_end(*, actor: User | None, user: User, on: date) -> int:
    """End the account's student role on `on` (the student left). Returns how many assignments ended."""
    ended = 0
    with _acting(actor):
        for assignment in RoleAssignment.objects.select_for_update().filter(user=user, role=STUDENT_ROLE,
                                                                             is_active=True):
            assignment.is_active, assignment.ends_on = False, on
            assignment.save(update_fields=["is_active", "ends_on"])
            ended += 1
    scope.forget(user)
    return ended

# ---- the demo city's bulk path ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    user: User
    role: str
    unit: object
    student: object = None
    starts_on: date | None = None


def seed(rows: Iterable[Seed]) -> list[RoleAssignment]:
    """The synthetic demo city's named accounts (runxin/demo/staff.py): no acting person, no approval – there
    is nobody yet to grant or approve – but the structural rules hold: a unit that suits the role, a student
    on exactly the student-side roles, student-side and staff roles never on one account, administrators
    alone. Never call it for real people; the generator's bulk COPY of school staff is the other demo path."""
    rows = list(rows)
    by_user: dict[int, set[str]] = {}
    for row in rows:
        if row.unit is None or row.unit.kind not in roles.ROLE_UNIT_KINDS.get(row.role, set()):
            raise GrantRefused("unit", row.role)
        if (row.role in staff.STUDENT_SIDE_ROLES) != (row.student is not None):
            raise GrantRefused("student_side_role", row.role)
        by_user.setdefault(row.user.pk, set()).add(row.role)
    for row in rows:
        held = by_user[row.user.pk] | held_roles(row.user)
        if staff.separation_problem(row.role, held):
            raise GrantRefused("separation", row.role)
        if held & staff.STUDENT_SIDE_ROLES and held - staff.STUDENT_SIDE_ROLES:
            raise GrantRefused("student_account", row.role)
    return RoleAssignment.objects.bulk_create(
        RoleAssignment(user=row.user, role=row.role, org_unit=row.unit, student=row.student, starts_on=row.starts_on)
        for row in rows)


# ---- a parent's roles, one per child (accounts/parents.py) ---------------------------------------------------

PARENT_ROLE = "parent"


def parent_roles_hold(*, user: User, students) -> list[RoleAssignment]:
    """Give a parent's account the parent role for each child (held at the child's class), re-opening an ended
    one; end the account's parent roles for any other child. The children are the students whose roster
    guardians carry the account's phone (people/guardians.py), so the roster decides; never an account that
    holds a staff role. Returns the active assignments."""
    if held_roles(user) - staff.STUDENT_SIDE_ROLES:
        raise GrantRefused("student_account", PARENT_ROLE)
    today = timezone.localdate()
    wanted = {s.pk: s for s in students if s.school_class_id}
    held = []
    rows = list(RoleAssignment.objects.select_for_update().filter(user=user, role=PARENT_ROLE).order_by("-id"))
    chosen: dict[int, RoleAssignment] = {}
    for student_id, student in wanted.items():
        mine = [r for r in rows if r.student_id == student_id]
        # The row at the child's class if there is one (one row per user, role, unit and child), else the latest.
        match = next((r for r in mine if r.org_unit_id == student.school_class_id), mine[0] if mine else None)
        if match is not None:
            chosen[student_id] = match
    for row in rows:
        if row.is_active and chosen.get(row.student_id) is not row:
            row.is_active, row.ends_on = False, today
            row.save(update_fields=["is_active", "ends_on"])
    for student_id, student in wanted.items():
        row = chosen.get(student_id)
        if row is None:
            row = RoleAssignment.objects.create(user=user, role=PARENT_ROLE, org_unit_id=student.school_class_id,
                                                student=student, starts_on=today)
        elif not row.is_active or (row.ends_on is not None and row.ends_on < today) \
                or row.org_unit_id != student.school_class_id:
            row.is_active, row.starts_on, row.ends_on = True, row.starts_on if row.is_active else today, None
            row.org_unit_id = student.school_class_id
            row.save(update_fields=["is_active", "starts_on", "ends_on", "org_unit"])
        held.append(row)
    scope.forget(user)
    return held

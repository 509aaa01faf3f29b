"""Students' accounts from the roster, with no work per student (issue 11).

* `issue_for_class` / `issue_for_school`: every enrolled student of the class who has no account gets one — a
  username that says nothing about the student (the school's code and five random characters), a random first
  password they must change at first sign-in, and the student role at their class, held through
  accounts/grants.py. Issuing again issues only what is missing (idempotent); a student who came back to school
  gets the old account back with a new first password.
* The first password is kept sealed (accounts/sealed.py), never in clear, so the class credential sheet
  (accounts/credential_sheet.py) can be printed again until the student chooses their own password; the change
  erases it (services.password_changed).
* `password_reset`: the head teacher or psychology teacher gives one student a new first password, audited.
* Students who leave lose access the same day: `has_left` refuses the sign-in and every request of an account
  whose student is no longer enrolled (accounts/backends.py, accounts/middleware.py), and `sweep` — daily by
  Celery beat / the embedded scheduler, and `runxin sweep_student_accounts` on demand — closes those accounts
  (inactive, role ended, sealed password erased) and moves the role of a student placed in another class of the
  region to that class. people and org, lower layers, never call up here: they change the student's status and
  placement, and this app reads it.
"""

import secrets
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin import audit
from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import RoleAssignment, Student

from . import grants, sealed
from .models import StudentCredential, User
from .services import temporary_password

# Lower case without look-alikes (0/o, 1/l/i): typed once by a child from a paper slip.
_USERNAME_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_PREFIX_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
STUDENT_ROLE = grants.STUDENT_ROLE


class StudentAccountError(Exception):
    """A refusal to show the user as it is (a whole, translated sentence)."""


@dataclass
class Issued:
    created: int = 0
    reopened: int = 0
    existing: int = 0
    classes: int = 0
    usernames: list[str] = field(default_factory=list)  # of the accounts created or reopened


@dataclass(frozen=True)
class Row:
    """One student of the class's account list."""

    student: Student
    credential: StudentCredential | None

    @property
    def user(self) -> User | None:
        return self.credential.user if self.credential else None

    @property
    def state(self) -> str:
        """none · first_password (not yet signed in with their own password) · active · closed"""
        if self.credential is None:
            return "none"
        if self.credential.ended_at or not self.credential.user.is_active:
            return "closed"
        if self.credential.user.must_change_password:
            return "first_password"
        return "active"


# ---- reading -------------------------------------------------------------------------------------------


def class_or_404(user: User, class_id: int, permission: str = roles.STUDENT_ACCOUNTS) -> OrgUnit:
    """A class under a unit where the user holds `permission`, or 404."""
    unit = scope.unit_or_404(user, class_id, permission)
    if unit.kind != OrgUnit.Kind.CLASS:
        raise Http404("not a class")
    return unit


def _enrolled(actor: User, school_class: OrgUnit) -> QuerySet[Student]:
    return (scope.students(actor, roles.STUDENT_ROSTER)
            .filter(school_class=school_class, status=Student.Status.ENROLLED))


def _credentials(students: list[Student], *, lock: bool = False) -> dict[int, StudentCredential]:
    """Each student's credential; for a student whose account was made before accounts were issued here (an
    account holding the student role without a credential: the demo's, an early manual one), an unsaved one
    (`_adopt` saves it), so that student counts as having an account."""
    ids = [s.pk for s in students]
    rows = StudentCredential.objects.filter(student__in=ids).select_related("user")
    found = {c.student_id: c for c in (rows.select_for_update(of=("self",)) if lock else rows)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        for assignment in (RoleAssignment.objects.filter(role=STUDENT_ROLE, is_active=True, student_id__in=missing,
                                                         user__is_active=True).select_related("user")):
            found.setdefault(assignment.student_id, StudentCredential(
                user=assignment.user, student_id=assignment.student_id, issued_at=assignment.created_at))
    return found


def _adopt(credential: StudentCredential) -> StudentCredential:
    if credential.pk is None:
        credential.save()
    return credential


def class_rows(actor: User, school_class: OrgUnit) -> list[Row]:
    """The enrolled students of the class the actor may see, each with their account (or none), by name."""
    students = list(_enrolled(actor, school_class).order_by("name", "id"))
    credentials = _credentials(students)
    return [Row(s, credentials.get(s.pk)) for s in students]


def manageable_classes(actor: User) -> list[OrgUnit]:
    """The current classes under the units where the actor holds student.accounts (a head teacher: their
    class; a school's leader or psychology teacher: every class of the school), in grade order."""
    return list(scope.units(actor, roles.STUDENT_ACCOUNTS)
                .filter(kind=OrgUnit.Kind.CLASS, is_active=True)
                .select_related("school").order_by("school__name", "path")[:500])


def sheet_entries(actor: User, school_class: OrgUnit) -> list[tuple[Row, str | None]]:
    """Each student of the class with an open account and the first password to print — None when the student
    has already chosen their own (or the sealed one cannot be opened any more: reset it)."""
    entries = []
    for row in class_rows(actor, school_class):
        if row.state not in ("first_password", "active"):
            continue
        password = sealed.unseal(row.credential.first_password) if row.state == "first_password" else None
        entries.append((row, password))
    return entries


# ---- issuing -------------------------------------------------------------------------------------------


def _prefix(school: OrgUnit | None) -> str:
    code = "".join(c for c in (school.code if school else "").lower() if c in _PREFIX_ALPHABET)
    return code[-6:] or "s"


def new_username(school: OrgUnit | None) -> str:
    """The school's code and five random characters (e.g. "se1-k7m3p"): readable, unique, and nothing in it
    comes from the student's name or number."""
    prefix = _prefix(school)
    while True:
        candidate = f"{prefix}-{''.join(secrets.choice(_USERNAME_ALPHABET) for _ in range(5))}"
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate


def _require(actor: User, school_class: OrgUnit, permission: str) -> None:
    if not scope.unit_permission(actor, school_class, permission):
        raise PermissionDenied(permission)


def _set_first_password(user: User) -> str:
    password = temporary_password(user)
    user.set_password(password)
    user.must_change_password = True
    return password


def _create(*, actor: User | None, student: Student, school_class: OrgUnit, school: OrgUnit | None) -> User:
    now = timezone.now()
    for _attempt in range(5):
        user = User(username=new_username(school), display_name=student.name, must_change_password=True)
        password = _set_first_password(user)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same random username taken a moment ago
            continue
        StudentCredential.objects.create(user=user, student=student, first_password=sealed.seal(password),
                                         issued_at=now, issued_by=actor)
        grants.student_role_hold(actor=actor, user=user, student=student, school_class=school_class)
        return user
    raise StudentAccountError(_("No free username could be found; try again."))


def _reopen(*, actor: User | None, credential: StudentCredential, school_class: OrgUnit) -> User:
    user = credential.user
    password = _set_first_password(user)
    user.is_active = True
    user.save(update_fields=["password", "must_change_password", "is_active"])
    credential.first_password, credential.ended_at = sealed.seal(password), None
    credential.reset_at, credential.reset_by = timezone.now(), actor
    credential.save(update_fields=["first_password", "ended_at", "reset_at", "reset_by"])
    grants.student_role_hold(actor=actor, user=user, student=credential.student, school_class=school_class)
    return user


@transaction.atomic
def issue_for_class(*, actor: User, school_class: OrgUnit) -> Issued:
    """Give every enrolled student of the class (that the actor may see) who has no open account one; keep the
    open ones (moving their role here if it is still at another class). Safe to run again: it issues only what
    is missing."""
    _require(actor, school_class, roles.STUDENT_ACCOUNTS)
    school = OrgUnit.objects.filter(pk=school_class.school_id).first()
    students = list(_enrolled(actor, school_class).order_by("name", "id"))
    credentials = _credentials(students, lock=True)
    placed = dict(RoleAssignment.objects.filter(user_id__in=[c.user_id for c in credentials.values()],
                                                role=STUDENT_ROLE, is_active=True)
                  .values_list("user_id", "org_unit_id"))
    result = Issued(classes=1)
    for student in students:
        credential = credentials.get(student.pk)
        if credential is None:
            result.usernames.append(_create(actor=actor, student=student, school_class=school_class,
                                            school=school).username)
            result.created += 1
        elif credential.ended_at or not credential.user.is_active:
            result.usernames.append(_reopen(actor=actor, credential=credential, school_class=school_class).username)
            result.reopened += 1
        else:
            _adopt(credential)
            if placed.get(credential.user_id) != school_class.pk:
                grants.student_role_hold(actor=actor, user=credential.user, student=student,
                                         school_class=school_class)
            result.existing += 1
    return result


def issue_for_school(*, actor: User, school: OrgUnit) -> Issued:
    """issue_for_class for every current class of the school the actor may issue for, one transaction each (a
    failure in one class keeps what the others issued)."""
    if school.kind != OrgUnit.Kind.SCHOOL:
        raise StudentAccountError(_("Choose a school."))
    total = Issued()
    classes = (scope.units(actor, roles.STUDENT_ACCOUNTS)
               .filter(kind=OrgUnit.Kind.CLASS, is_active=True, school_id=school.pk).order_by("path"))
    for school_class in classes:
        done = issue_for_class(actor=actor, school_class=school_class)
        total.created += done.created
        total.reopened += done.reopened
        total.existing += done.existing
        total.classes += 1
        total.usernames += done.usernames
    if not total.classes:
        raise PermissionDenied(roles.STUDENT_ACCOUNTS)
    return total


# ---- one student ---------------------------------------------------------------------------------------


def student_for_reset(actor: User, student_id: int) -> Student:
    """A student the actor may reset (their class's head teacher, their school's psychology teacher), or 404."""
    student = scope.student_or_404(actor, student_id, roles.STUDENT_ROSTER)
    school_class = student.school_class
    if school_class is None or not scope.unit_permission(actor, school_class, roles.STUDENT_ACCOUNT_RESET):
        raise Http404("No such student")
    return student


@transaction.atomic
def password_reset(*, actor: User, student: Student) -> StudentCredential:
    """A new first password for one student (forgotten, or never used and lost): sealed for the sheet, to be
    changed at the next sign-in. Audited as a change of the account, with who reset it."""
    if student.school_class is None or not scope.unit_permission(actor, student.school_class,
                                                                 roles.STUDENT_ACCOUNT_RESET):
        raise PermissionDenied(roles.STUDENT_ACCOUNT_RESET)
    if not scope.students(actor, roles.STUDENT_ROSTER).filter(pk=student.pk).exists():
        raise PermissionDenied(roles.STUDENT_ROSTER)
    credential = _credentials([student], lock=True).get(student.pk)
    if credential is None or credential.ended_at or not credential.user.is_active:
        raise StudentAccountError(_("%(name)s has no account yet: issue the class's accounts first.")
                                  % {"name": student.name})
    credential = _adopt(credential)
    user = credential.user
    password = _set_first_password(user)
    user.save(update_fields=["password", "must_change_password"])
    credential.first_password = sealed.seal(password)
    credential.reset_at, credential.reset_by = timezone.now(), actor
    credential.save(update_fields=["first_password", "reset_at", "reset_by"])
    audit.record_event(user, action="update", actor=actor,
                       changes={"password": ["", f"new first password from {actor.get_username()}"]})
    return credential


# ---- leaving -------------------------------------------------------------------------------------------


def has_left(user: User) -> bool:
    """Whether this is a student's account whose student is no longer enrolled (graduated, transferred out of the
    region, suspended, left): such an account may not sign in, and its sessions end at the next request."""
    rows = list(RoleAssignment.objects.filter(user_id=user.pk, role=STUDENT_ROLE)
                .values_list("is_active", "student__status"))
    if not rows:
        return StudentCredential.objects.filter(user_id=user.pk).exists()
    return not any(active and status == Student.Status.ENROLLED for active, status in rows)


def enrolled_now(student_ids: list[int]) -> bool:
    """For the per-request check: is any of these students (an account's own) still enrolled?"""
    return Student.objects.filter(pk__in=student_ids, status=Student.Status.ENROLLED).exists()


@dataclass
class Swept:
    closed: int = 0
    moved: int = 0


@transaction.atomic
def account_close(*, user: User, on, actor: User | None = None) -> None:
    """Close a student's account: inactive (every session ends), the student role ended, the sealed first
    password erased. The account and its history stay."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    grants.student_role_end(actor=actor, user=user, on=on)
    StudentCredential.objects.filter(user=user).update(first_password="", ended_at=timezone.now())


def sweep(*, limit: int = 5000) -> Swept:
    """Close the accounts of students who are no longer enrolled, and move the role of a student placed in
    another class (a transfer within the region, a change of class) to that class. Idempotent: a second run
    finds nothing to do. At most `limit` accounts of each kind per run (the next run goes on)."""
    today = timezone.localdate()
    result = Swept()
    left = set(RoleAssignment.objects.filter(role=STUDENT_ROLE, is_active=True)
               .exclude(student__status=Student.Status.ENROLLED).values_list("user_id", flat=True)[:limit])
    left |= set(StudentCredential.objects.filter(ended_at__isnull=True)
                .exclude(student__status=Student.Status.ENROLLED).values_list("user_id", flat=True)[:limit])
    for user in User.objects.filter(pk__in=left):
        account_close(user=user, on=today)
        result.closed += 1
    moved = (RoleAssignment.objects.filter(role=STUDENT_ROLE, is_active=True, student__status=Student.Status.ENROLLED,
                                           student__school_class__isnull=False)
             .exclude(org_unit_id=F("student__school_class_id"))
             .select_related("user", "student__school_class")[:limit])
    for assignment in moved:
        with transaction.atomic():
            grants.student_role_hold(actor=None, user=assignment.user, student=assignment.student,
                                     school_class=assignment.student.school_class)
        result.moved += 1
    return result

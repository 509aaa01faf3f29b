"""The scoping layer: the only door to student data.

Every list, page, export and API that shows students asks here, passing the acting user and the
permission it needs. What a user may see is the union over their active role assignments of the
students that assignment reaches (see roles.py), restricted to roles that hold the permission.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from runxin.org.models import OrgUnit
from runxin.people.models import Guardian, MentorPair, RoleAssignment, Student
from runxin.referrals.models import Referral

from . import roles
from .models import BreakGlassGrant

_UNIT_COLUMN = {
    "city": "city_id",
    "district": "district_id",
    "school": "school_id",
    "grade": "grade_id",
    "class": "school_class_id",
}


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int | None
    unit_kind: str | None
    unit_path: str
    student_id: int | None

    @property
    def permissions(self) -> frozenset[str]:
        return roles.ROLES[self.role].permissions if self.role in roles.ROLES else frozenset()

    @property
    def reach(self) -> str:
        return roles.ROLES[self.role].reach if self.role in roles.ROLES else "none"


# Roles held for one's own child (a parent): they count only while the roster still lists the account's phone
# as a guardian of that child, so a guardian taken off the roster (row deleted or phone changed) loses the
# child at once, whatever happened to the assignment row.
_CHILD_ROLES = frozenset(code for code, role in roles.ROLES.items() if role.reach == "child")


def grants(user) -> list[Grant]:
    """The user's active role assignments, read once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_runxin_grants", None)
    if cached is not None:
        return cached
    today = timezone.localdate()
    phone = getattr(user, "phone", "")
    rows = (
        RoleAssignment.objects.filter(user_id=user.pk, is_active=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .filter(~Q(role__in=_CHILD_ROLES) | (Exists(Guardian.objects.filter(
            student_id=OuterRef("student_id"), user_id=user.pk, phone=phone)) if phone else Q(pk__in=[])))
        .values_list("role", "org_unit_id", "org_unit__kind", "org_unit__path", "student_id")
    )
    result = [Grant(role, unit_id, kind, path or "", student_id) for role, unit_id, kind, path, student_id in rows]
    user._runxin_grants = result
    return result


def forget(user) -> None:
    """Drop the cached grants (after a role change within the same request)."""
    if hasattr(user, "_runxin_grants"):
        del user._runxin_grants


def has_permission(user, permission: str) -> bool:
    roles.roles_with(permission)  # refuses unknown permission names
    return any(permission in grant.permissions for grant in grants(user))


def role_codes(user) -> set[str]:
    return {grant.role for grant in grants(user)}


def needs_second_factor(user) -> bool:
    return any(roles.ROLES[g.role].needs_second_factor for g in grants(user) if g.role in roles.ROLES)


def _student_filter(user, permission: str) -> Q | None:
    roles.roles_with(permission)
    clauses: list[Q] = []
    for grant in grants(user):
        if permission not in grant.permissions:
            continue
        if grant.reach == "subtree" and grant.unit_kind in _UNIT_COLUMN:
            clauses.append(Q(**{_UNIT_COLUMN[grant.unit_kind]: grant.unit_id}))
        elif grant.reach == "paired":
            clauses.append(Q(id__in=MentorPair.objects.filter(mentor_id=user.pk, is_active=True).values("student_id")))
        elif grant.reach == "referred" and grant.unit_id:
            clauses.append(Q(id__in=_referred_to(grant.unit_id)))
        elif grant.reach in {"self", "child"} and grant.student_id:
            clauses.append(Q(id=grant.student_id))
    if not clauses:
        return None
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def _referred_to(unit_id: int):
    """The students with an active referral to a partner unit: a hospital's clinicians reach them while the referral
    is open (sent … discharged) and lose them when it is declined, withdrawn or closed."""
    return Referral.objects.filter(to_unit_id=unit_id, status__in=Referral.ACTIVE).values("student_id")


def students(user, permission: str = roles.STUDENT_ROSTER) -> QuerySet[Student]:
    """Students the user may see at the given detail level. Empty for anyone without the permission."""
    condition = _student_filter(user, permission)
    if condition is None:
        return Student.objects.none()
    return Student.objects.filter(condition)


def students_under(unit: OrgUnit) -> QuerySet[Student]:
    """Every student placed under `unit`, for work done *for* a unit rather than shown to a user:
    materialising a screening campaign's targets, scheduled jobs. The caller has already checked that
    the acting user (if any) holds the right permission at the unit; never render these rows to a user
    without going through students()."""
    column = _UNIT_COLUMN.get(unit.kind)
    if column is None:
        return Student.objects.none()
    return Student.objects.filter(**{column: unit.pk})


def student_or_404(user, student_id: int, permission: str = roles.STUDENT_ROSTER) -> Student:
    """One student, or 404 when out of scope: the response must not reveal that the student exists."""
    try:
        return students(user, permission).select_related("school_class", "school", "district").get(pk=student_id)
    except (Student.DoesNotExist, ValueError, TypeError):
        if active_break_glass(user, student_id) and permission != roles.STUDENT_CLINICAL:
            return Student.objects.select_related("school_class", "school", "district").get(pk=student_id)
        raise Http404("No such student") from None


def permissions_for_student(user, student: Student) -> set[str]:
    """The permissions the user holds for this one student (union over the assignments that reach it),
    or the limited break-glass set while an emergency grant is active."""
    held = ordinary_permissions(user, student)
    if not held and active_break_glass(user, student.pk):
        # Enough to reach the family and see the risk level in an emergency; not the ID number or clinical notes.
        held = {roles.STUDENT_ROSTER, roles.STUDENT_PROFILE, roles.GUARDIAN_CONTACT, roles.STUDENT_RISK_LEVEL}
    return held


def ordinary_permissions(user, student: Student) -> set[str]:
    """Permissions for this student through role assignments alone (no break-glass)."""
    held: set[str] = set()
    for grant in grants(user):
        if grant.reach == "subtree" and grant.unit_kind in _UNIT_COLUMN:
            if getattr(student, _UNIT_COLUMN[grant.unit_kind]) == grant.unit_id:
                held |= grant.permissions
        elif grant.reach == "paired":
            if MentorPair.objects.filter(mentor_id=user.pk, student_id=student.pk, is_active=True).exists():
                held |= grant.permissions
        elif grant.reach == "referred" and grant.unit_id:
            if _referred_to(grant.unit_id).filter(student_id=student.pk).exists():
                held |= grant.permissions
        elif grant.reach in {"self", "child"} and grant.student_id == student.pk:
            held |= grant.permissions
    return held


def active_break_glass(user, student_id) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return BreakGlassGrant.objects.filter(
        user_id=user.pk, student_id=student_id, expires_at__gt=timezone.now()
    ).exists()


def units(user, permission: str = roles.ORG_BROWSE) -> QuerySet[OrgUnit]:
    """Org units the user may browse: the subtrees of the units where they hold the permission."""
    clauses = [Q(path__startswith=g.unit_path) for g in grants(user) if permission in g.permissions and g.unit_path]
    if not clauses:
        return OrgUnit.objects.none()
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return OrgUnit.objects.filter(combined)


def unit_or_404(user, unit_id: int, permission: str = roles.ORG_BROWSE) -> OrgUnit:
    try:
        return units(user, permission).get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404("No such unit") from None


def root_units(user, permission: str = roles.ORG_BROWSE) -> list[OrgUnit]:
    """The topmost units the user holds the permission at (a city admin: the city; a head teacher: a class)."""
    paths = sorted({g.unit_path for g in grants(user) if permission in g.permissions and g.unit_path})
    tops = [p for p in paths if not any(p != other and p.startswith(other) for other in paths)]
    return list(OrgUnit.objects.filter(path__in=tops).order_by("path"))


def unit_permission(user, unit: OrgUnit, permission: str) -> bool:
    """Whether the user holds the permission at this unit (directly or at an ancestor)."""
    return any(
        permission in g.permissions and g.unit_path and unit.path.startswith(g.unit_path) for g in grants(user)
    )


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def detail_permissions(user, student: Student) -> set[str]:
    """ordinary_permissions for pages that render many students (lists, queues, progress tables): the same
    rule, but the user's mentor pairs are read once per request (cached on the user object beside the
    grants), so a page of fifty rows costs no query per row. No break-glass: lists never show those."""
    held: set[str] = set()
    for grant in grants(user):
        if grant.reach == "subtree" and grant.unit_kind in _UNIT_COLUMN:
            if getattr(student, _UNIT_COLUMN[grant.unit_kind], None) == grant.unit_id:
                held |= grant.permissions
        elif grant.reach == "paired":
            mentees = getattr(user, "_runxin_mentees", None)
            if mentees is None:
                mentees = set(MentorPair.objects.filter(mentor_id=user.pk, is_active=True)
                              .values_list("student_id", flat=True))
                user._runxin_mentees = mentees
            if student.pk in mentees:
                held |= grant.permissions
        elif grant.reach == "referred" and grant.unit_id:
            referred = user.__dict__.setdefault("_runxin_referred", {})  # per unit, once per request
            if grant.unit_id not in referred:
                referred[grant.unit_id] = set(_referred_to(grant.unit_id).values_list("student_id", flat=True))
            if student.pk in referred[grant.unit_id]:
                held |= grant.permissions
        elif grant.reach in {"self", "child"} and grant.student_id == student.pk:
            held |= grant.permissions
    return held


def holds_everywhere(user, permission: str, within: str = roles.STUDENT_ROSTER) -> bool:
    """True when every assignment that opens students at the `within` level also carries `permission`, so a
    detail level need not be decided student by student (a psychology teacher: yes; a head teacher: no)."""
    reaching = [g for g in grants(user) if within in g.permissions]
    return bool(reaching) and all(permission in g.permissions for g in reaching)


def student_condition(user, permission: str) -> Q | None:
    """The filter on Student rows the user may see at this detail level (None: none at all), to combine with
    another condition (a prefix search allowed only where the full student number may be seen)."""
    return _student_filter(user, permission)

"""Reads for staff administration and mentor pairing. Every function takes the acting user."""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import MentorPair, RoleAssignment, Student

from . import staff
from .models import PendingGrant, User

PAGE_SIZE = 50
COUNT_CAP = 10_000
UNIT_CHOICES_LIMIT = 50


@dataclass
class StaffPage:
    rows: list[User]
    number: int
    has_next: bool
    total: int
    total_capped: bool


def staff_queryset(user) -> QuerySet[User]:
    """The accounts the user may see on the staff pages: everyone with a staff role (or none yet) for the
    security administrator; people holding a staff role inside their school for a school leader."""
    grants = staff.manager_grants(user)
    if not grants:
        return User.objects.none()
    staff_role = RoleAssignment.objects.filter(user=OuterRef("pk"), role__in=staff.STAFF_ROLES)
    if staff.sees_everyone(user):
        any_role = RoleAssignment.objects.filter(user=OuterRef("pk"))
        return User.objects.filter(Exists(staff_role) | ~Exists(any_role))
    inside = reduce(or_, [Q(org_unit__path__startswith=g.unit_path) for g in grants])
    # A newcomer whose only role still awaits the level above's approval stays on the asking school's list.
    waiting = PendingGrant.objects.filter(inside, user=OuterRef("pk"), state=PendingGrant.State.PENDING)
    return User.objects.filter(Exists(staff_role.filter(inside)) | Exists(waiting))


def locked_usernames(usernames) -> set[str]:
    """Which of these usernames are locked out right now (axes: enough recent failures)."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=threshold,
                                     failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


def _locked_filter() -> Q:
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return Q(username__in=AccessAttempt.objects.filter(
        attempt_time__gte=threshold, failures_since_start__gte=settings.AXES_FAILURE_LIMIT).values("username"))


def staff_search(user, *, q: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    qs = staff_queryset(user)
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__startswith=q) | Q(display_name__startswith=q))
    if role in roles.ROLES:
        held = RoleAssignment.objects.filter(user=OuterRef("pk"), role=role, is_active=True)
        if not staff.sees_everyone(user):
            held = held.filter(reduce(or_, [Q(org_unit__path__startswith=g.unit_path)
                                            for g in staff.manager_grants(user)]))
        qs = qs.filter(Exists(held))
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    elif status == "locked":
        qs = qs.filter(_locked_filter())
    elif status == "must_change":
        qs = qs.filter(must_change_password=True)
    return qs.order_by("username", "id")


def _assignments_prefetch() -> Prefetch:
    return Prefetch(
        "role_assignments",
        queryset=RoleAssignment.objects.select_related("org_unit__school", "org_unit__district").order_by("-is_active", "role", "id"),
        to_attr="assignment_list",
    )


def staff_page(user, qs: QuerySet[User], number: int) -> StaffPage:
    """One page of accounts with their role assignments, lock and second-factor state; the total is exact up
    to COUNT_CAP and never counts further."""
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    rows = list(qs.prefetch_related(_assignments_prefetch())[start:start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    annotate_accounts(rows)
    total = qs.order_by()[: COUNT_CAP + 1].count()
    return StaffPage(rows=rows, number=number, has_next=has_next, total=min(total, COUNT_CAP),
                     total_capped=total > COUNT_CAP)


def annotate_accounts(users: list[User]) -> None:
    """Set .is_locked and .has_second_factor on each user (two queries whatever the number of users)."""
    locked = locked_usernames(u.username for u in users)
    with_device = set(
        TOTPDevice.objects.filter(user_id__in=[u.pk for u in users], confirmed=True).values_list("user_id", flat=True)
    )
    for u in users:
        u.is_locked = u.username in locked
        u.has_second_factor = u.pk in with_device
        for assignment in getattr(u, "assignment_list", []):
            assignment.role_label = roles.role_label(assignment.role)
            assignment.unit_label = unit_label(assignment.org_unit) if assignment.org_unit else ""


def staff_member(user, user_id: int) -> User:
    """One account the user may see, with its assignments; 404 otherwise (the page must not reveal it)."""
    member = staff_queryset(user).prefetch_related(_assignments_prefetch()).filter(pk=user_id).first()
    if member is None:
        raise Http404("No such staff member")
    annotate_accounts([member])
    now = timezone.localdate()
    active = []
    for assignment in member.assignment_list:
        assignment.is_current = assignment.is_active and (assignment.ends_on is None or assignment.ends_on >= now)
        assignment.may_end = (assignment.is_active and member.pk != user.pk and staff.governs_assignment(
            user, assignment.role, assignment.org_unit.path if assignment.org_unit else None))
        if assignment.is_current:
            active.append((assignment.role, assignment.org_unit.path if assignment.org_unit else None))
    member.may_manage = member.pk != user.pk and staff.governs_account(user, active)
    return member


def grant_units(user, role: str, q: str = "", limit: int = UNIT_CHOICES_LIMIT) -> list[OrgUnit]:
    """Units where the user may grant `role`, matching `q` (part of the name, or the exact code)."""
    paths = staff.grant_paths(user, role)
    kinds = roles.ROLE_UNIT_KINDS.get(role, set())
    if not paths or not kinds:
        return []
    qs = OrgUnit.objects.filter(reduce(or_, [Q(path__startswith=p) for p in paths]), kind__in=kinds, is_active=True)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__iexact=q))
    return list(qs.select_related("school", "district").order_by("path")[:limit])


def unit_for_grant(user, role: str, unit_id) -> OrgUnit | None:
    """The unit, if the user may grant `role` there; None otherwise."""
    try:
        unit = OrgUnit.objects.filter(pk=int(unit_id), is_active=True).first()
    except (TypeError, ValueError):
        return None
    return unit if unit is not None and staff.may_grant(user, role, unit) else None


def unit_label(unit: OrgUnit) -> str:
    """A unit's name with its school (classes are named alike in every school)."""
    if unit.kind in {OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS} and unit.school is not None:
        return f"{unit.school.name} · {unit.name}"
    if unit.kind == OrgUnit.Kind.SCHOOL and unit.district is not None:
        return f"{unit.district.name} · {unit.name}"
    return unit.name


# ---- mentor pairing (师生结对) ----------------------------------------------------------------------------


def pairing_schools(user) -> list[OrgUnit]:
    """The schools where the user may pair mentors with students."""
    paths = [g.unit_path for g in scope.grants(user) if roles.MENTOR_PAIR in g.permissions
             and g.unit_kind == OrgUnit.Kind.SCHOOL]
    if not paths:
        return []
    return list(OrgUnit.objects.filter(path__in=paths).order_by("name"))


def mentors(user) -> list[User]:
    """Mentors holding an active mentor role at the user's schools, with their number of active pairs."""
    schools = pairing_schools(user)
    if not schools:
        return []
    today = timezone.localdate()
    at_school = RoleAssignment.objects.filter(
        user=OuterRef("pk"), role="mentor", is_active=True, org_unit__in=schools,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    school_ids = [s.pk for s in schools]
    return list(
        User.objects.filter(Exists(at_school), is_active=True)
        .annotate(pair_count=Count("mentees", filter=Q(mentees__is_active=True,
                                                        mentees__student__school_id__in=school_ids)))
        .order_by("display_name", "username")
    )


def mentor_school(user, mentor: User) -> OrgUnit | None:
    """The school (among the user's) where this person is a mentor."""
    today = timezone.localdate()
    for school in pairing_schools(user):
        if RoleAssignment.objects.filter(
            user=mentor, role="mentor", is_active=True, org_unit=school,
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).exists():
            return school
    return None


def mentor_or_404(user, mentor_id: int) -> tuple[User, OrgUnit]:
    mentor = User.objects.filter(pk=mentor_id, is_active=True).first()
    school = mentor_school(user, mentor) if mentor is not None else None
    if mentor is None or school is None:
        raise Http404("No such mentor")
    return mentor, school


def mentor_pairs(user, mentor: User, school: OrgUnit) -> list[MentorPair]:
    """The mentor's active pairs with students of this school (through the scoping layer)."""
    visible = scope.students(user, roles.STUDENT_ROSTER).filter(school=school)
    return list(
        MentorPair.objects.filter(mentor=mentor, is_active=True, student__in=visible)
        .select_related("student__school_class").order_by("student__school_class__path", "student__name")
    )


def pairable_students(user, mentor: User, school: OrgUnit, q: str = "", class_id: int | None = None,
                      limit: int = 50) -> list[Student]:
    """Students of the school (in the user's scope) not yet paired with this mentor, matching a name or
    number prefix or a class."""
    qs = scope.students(user, roles.STUDENT_ROSTER).filter(school=school, status=Student.Status.ENROLLED)
    qs = qs.exclude(mentor_pairs__mentor=mentor, mentor_pairs__is_active=True)
    q = q.strip()
    if q:
        qs = qs.filter(Q(student_number__startswith=q) | Q(name__startswith=q))
    if class_id:
        qs = qs.filter(school_class_id=class_id)
    if not q and not class_id:
        return []
    return list(qs.select_related("school_class").order_by("school_class__path", "name", "id")[:limit])


def school_classes(school: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.CLASS, is_active=True)
                .order_by("grade_level", "class_number"))

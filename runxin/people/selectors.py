"""Reads about students. Every function takes the acting user and goes through the scoping layer."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

from .models import Enrollment, GroupMembership, Guardian, SpecialGroup, Student

PAGE_SIZE = 50
COUNT_CAP = 10_000


@dataclass
class StudentPage:
    rows: list[Student]
    number: int
    has_next: bool
    total: int
    total_capped: bool


class FilterRefused(ValueError):
    """A filter on a detail the user may not see (special groups, key students, boarding): the message says why."""


# Filters on profile-level details (STUDENT_PROFILE): the same level the student page asks to show them.
PROFILE_FILTERS = ("group", "flag", "boarding")


def sees_profiles(user) -> bool:
    """Whether the user may see profile-level details (groups, key students) of any student: offers the filters
    and the column."""
    return scope.has_permission(user, roles.STUDENT_PROFILE)


def _number_search(user, qs: QuerySet[Student], q: str) -> QuerySet[Student]:
    """By 学籍号: a prefix only where the user may see numbers in full; elsewhere the exact number alone, so a
    prefix search cannot spell out a number (and the ID number inside it) one digit at a time."""
    if scope.holds_everywhere(user, roles.STUDENT_SENSITIVE):
        return qs.filter(student_number__startswith=q)
    full = scope.student_condition(user, roles.STUDENT_SENSITIVE)
    if full is None:
        return qs.filter(student_number=q)
    return qs.filter(Q(student_number=q) | (Q(student_number__startswith=q) & full))


def student_search(user, *, q: str = "", school_id: int | None = None, grade_level: int | None = None,
                   class_id: int | None = None, group: str = "", flag: str = "", status: str = "enrolled",
                   sex: str = "", boarding: str = "") -> QuerySet[Student]:
    """The students in the user's scope matching the filters, ordered by name for a stable list.
    Raises FilterRefused for a profile-level filter (group, key students, boarding) from a user who sees no
    student's profile; for a user who sees some, such a filter only finds students whose profile they see."""
    qs = scope.students(user, roles.STUDENT_ROSTER)
    if group or flag or boarding:
        profile = scope.student_condition(user, roles.STUDENT_PROFILE)
        if profile is None:
            raise FilterRefused(_("Your role does not see special-attention groups, key students or boarding: "
                                  "these filters are not available to you."))
        qs = qs.filter(profile)
    if status:
        qs = qs.filter(status=status)
    ordering: tuple = ("name", "id")
    if q:
        q = q.strip()
        qs = _number_search(user, qs, q) if q[:1].isalnum() and q.isascii() else qs.filter(name__startswith=q)
        # Sort on an expression no index provides, so the planner finds the few matches through the
        # prefix (pattern_ops) index and sorts them, instead of walking the whole unit in name order.
        ordering = (Lower("name"), "id")
    if school_id:
        qs = qs.filter(school_id=school_id)
    if grade_level:
        qs = qs.filter(school_class__grade_level=grade_level)
    if class_id:
        qs = qs.filter(school_class_id=class_id)
    if group:
        qs = qs.filter(memberships__group__code=group)
    if flag == "key":
        qs = qs.filter(is_key_student=True)
    if sex:
        qs = qs.filter(sex=sex)
    if boarding:
        qs = qs.filter(boarding=boarding)
    return qs.order_by(*ordering)


def student_page(qs: QuerySet[Student], number: int) -> StudentPage:
    """One page without an unbounded COUNT(*): the total is exact up to COUNT_CAP, then 'more than'."""
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    rows = list(
        qs.select_related("school_class", "school").prefetch_related(
            Prefetch("memberships", queryset=GroupMembership.objects.select_related("group"))
        )[start:start + PAGE_SIZE + 1]
    )
    has_next = len(rows) > PAGE_SIZE
    total = qs.order_by()[: COUNT_CAP + 1].count()
    return StudentPage(rows=rows[:PAGE_SIZE], number=number, has_next=has_next,
                       total=min(total, COUNT_CAP), total_capped=total > COUNT_CAP)


def filter_choices(user) -> dict:
    """Schools and classes the user may filter by (only those inside their scope)."""
    units = scope.units(user, roles.STUDENT_ROSTER)
    schools = list(units.filter(kind=OrgUnit.Kind.SCHOOL).order_by("name").values("id", "name")[:500])
    groups = list(SpecialGroup.objects.filter(is_active=True)) if sees_profiles(user) else []
    return {"schools": schools, "groups": groups, "profile_filters": sees_profiles(user)}


def classes_for_school(user, school_id: int) -> list[dict]:
    units = scope.units(user, roles.STUDENT_ROSTER)
    return list(
        units.filter(kind=OrgUnit.Kind.CLASS, school_id=school_id, is_active=True)
        .order_by("grade_level", "class_number").values("id", "name")
    )


def student_detail(user, student_id: int) -> tuple[Student, set[str]]:
    """The student and the permissions the user holds for them; 404 when out of scope."""
    student = scope.student_or_404(user, student_id, roles.STUDENT_ROSTER)
    return student, scope.permissions_for_student(user, student)


def student_guardians(student: Student) -> list[Guardian]:
    return list(student.guardians.all())


def student_history(student: Student) -> list[Enrollment]:
    return list(student.enrollments.select_related("school_class", "school", "school_year"))

"""Reads about students. Every function takes the acting user and goes through the scoping layer."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

from .models import (
    CommitteeAppointment,
    Enrollment,
    GroupMembership,
    Guardian,
    KeyStudentCategory,
    KeyStudentMark,
    RoleAssignment,
    SpecialGroup,
    Student,
)

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


# ---- key students (重点学生) ------------------------------------------------------------------------------------

DUE_WITHIN_DAYS = 14  # "due for review": overdue, or due within two weeks
KEY_LIST_LIMIT = 500


def key_marks(student: Student) -> list[KeyStudentMark]:
    """The student's markings, open ones first. The caller has checked key_student.view for this student."""
    return sorted(student.key_marks.select_related("category", "marked_by", "ended_by"),
                  key=lambda m: (m.ended_on is not None, m.review_on if m.ended_on is None else m.ended_on))


def key_categories(*, active_only: bool = True) -> list[KeyStudentCategory]:
    qs = KeyStudentCategory.objects.all()
    return list(qs.filter(is_active=True) if active_only else qs)


def key_mark_for(student: Student, mark_id) -> KeyStudentMark | None:
    """One marking of this student (the caller has the student through the scoping layer)."""
    return student.key_marks.filter(pk=mark_id).select_related("student", "category").first() if mark_id else None


def key_marks_open(user, *, due_only: bool = True, class_id: int | None = None,
                   category: str = "") -> tuple[list[KeyStudentMark], bool]:
    """Open markings of the students whose key-student details the user sees, the earliest review first;
    `due_only`: those overdue or due within DUE_WITHIN_DAYS. Returns (rows, whether the list was cut)."""
    visible = scope.students(user, roles.KEY_STUDENT_VIEW)
    qs = (KeyStudentMark.objects.filter(ended_on__isnull=True, student__in=visible.values("id"))
          .select_related("student", "student__school_class", "category", "marked_by")
          .order_by("review_on", "student__name", "id"))
    if due_only:
        qs = qs.filter(review_on__lte=timezone.localdate() + timedelta(days=DUE_WITHIN_DAYS))
    if class_id:
        qs = qs.filter(student__school_class_id=class_id)
    if category:
        qs = qs.filter(category__code=category)
    rows = list(qs[:KEY_LIST_LIMIT + 1])
    return rows[:KEY_LIST_LIMIT], len(rows) > KEY_LIST_LIMIT


# ---- class psych committee (心理委员) ---------------------------------------------------------------------------


def committee_class(user, class_id: int) -> OrgUnit:
    """A class the user appoints committee members for; 404 otherwise."""
    unit = scope.unit_or_404(user, class_id, roles.COMMITTEE_APPOINT)
    if unit.kind != OrgUnit.Kind.CLASS:
        raise Http404("Not a class")
    return unit


def committee_history(school_class: OrgUnit) -> list[CommitteeAppointment]:
    return list(CommitteeAppointment.objects.filter(school_class=school_class, ended_on__isnull=False)
                .select_related("student", "appointed_by", "ended_by").order_by("-ended_on", "-id")[:50])


def committee_candidates(user, school_class: OrgUnit) -> list[Student]:
    """The class's enrolled students, through the scoping layer, for the appointment form."""
    return list(scope.students(user, roles.COMMITTEE_APPOINT)
                .filter(school_class=school_class, status=Student.Status.ENROLLED).order_by("name", "id"))


def assignments_in_force(today=None) -> QuerySet[RoleAssignment]:
    """Role assignments in force today: active and within their start and end dates. Who sits at a unit for the
    warning network, a referral, a consultation or a plan is read from these."""
    today = today or timezone.localdate()
    return (RoleAssignment.objects.filter(is_active=True)
            .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)))

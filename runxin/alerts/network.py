"""The warning network (班级—学校—区—市): which people sit at each tier for a student, and at which tier a
user acts. Role codes come from the catalogue in runxin/access/roles.py; the grants from the scoping layer."""

from django.db.models import Q

from runxin.access import roles, scope
from runxin.people import selectors as people_selectors
from runxin.people.models import MentorPair, Student

from . import states

# Who is told, and who acts, at each tier: the roles that handle warnings (alert.handle) held at the tier's
# unit (class: head teachers; school: psychology teacher and leader; district and city: the centre). Mentors
# of the student are told at the class tier too. The grade tier (grade leaders) only where a level names it.
TIER_ROLES: dict[int, tuple[str, ...]] = {
    tier: roles.roles_at(kind, roles.ALERT_HANDLE)
    for tier, kind in ((states.CLASS, "class"), (states.SCHOOL, "school"), (states.DISTRICT, "district"),
                       (states.CITY, "city"))
}
# The grade tier: the roles held at a grade that are not class roles (the grade leader, 年级组长). A head
# teacher may also be held at a grade; it stays a class-tier role there.
GRADE_TIER_ROLES = tuple(code for code in roles.roles_at("grade", roles.ALERT_HANDLE)
                         if "class" not in roles.ROLES[code].unit_kinds)
TIER_ROLES[states.GRADE] = GRADE_TIER_ROLES

# The Student placement column holding the unit of each tier (class tier: the class and its grade).
TIER_COLUMNS: dict[int, tuple[str, ...]] = {
    states.CLASS: ("school_class_id", "grade_id"),
    states.GRADE: ("grade_id",),
    states.SCHOOL: ("school_id",),
    states.DISTRICT: ("district_id",),
    states.CITY: ("city_id",),
}

_KIND_COLUMN = {"class": "school_class_id", "grade": "grade_id", "school": "school_id", "district": "district_id",
                "city": "city_id"}


def active_assignments():
    return people_selectors.assignments_in_force()


def people_at(student: Student, tiers) -> list[int]:
    """User ids of the people at the given tiers of the network around this student (one or two queries)."""
    return people_at_many([(student, tiers)])[0]


def people_at_many(wanted: list[tuple[Student, list]]) -> list[list[int]]:
    """The people at the given tiers around each of many students (the hand-over of a burst): one read of the role
    assignments at every unit concerned and one of mentor pairs, whatever the number of students."""
    units_by_tier: dict[int, set[int]] = {}
    paired_students = set()
    for student, tiers in wanted:
        for tier in {int(t) for t in tiers}:
            units_by_tier.setdefault(tier, set()).update(
                getattr(student, column) for column in TIER_COLUMNS.get(tier, ()) if getattr(student, column))
            if tier == states.CLASS:
                paired_students.add(student.pk)
    clauses = Q()
    for tier, units in units_by_tier.items():
        if units:
            clauses |= Q(role__in=TIER_ROLES[tier], org_unit_id__in=units)
    held: dict[tuple[str, int], list[int]] = {}
    if clauses:
        for user_id, role, unit_id in (active_assignments().filter(clauses).order_by("pk")
                                       .values_list("user_id", "role", "org_unit_id")):
            held.setdefault((role, unit_id), []).append(user_id)
    mentors: dict[int, list[int]] = {}
    for student_id, mentor_id in (MentorPair.objects.filter(student_id__in=paired_students, is_active=True)
                                  .order_by("pk").values_list("student_id", "mentor_id")):
        mentors.setdefault(student_id, []).append(mentor_id)
    answers = []
    for student, tiers in wanted:
        ids: list[int] = []
        for tier in tiers:
            units = [getattr(student, column) for column in TIER_COLUMNS.get(int(tier), ()) if getattr(student, column)]
            for role in TIER_ROLES[int(tier)]:
                for unit in units:
                    ids += held.get((role, unit), [])
        if states.CLASS in {int(t) for t in tiers}:
            ids += mentors.get(student.pk, [])
        answers.append(list(dict.fromkeys(ids)))
    return answers


def acting_roles(user, student: Student, permission: str) -> list[tuple[int, str]]:
    """(tier, role) for each of the user's grants that reaches this student with `permission`.
    A mentor's pairing counts as the class tier."""
    found = []
    for grant in scope.grants(user):
        if permission not in grant.permissions:
            continue
        if grant.reach == "subtree" and grant.unit_kind in _KIND_COLUMN:
            if getattr(student, _KIND_COLUMN[grant.unit_kind]) == grant.unit_id:
                tier = states.GRADE if grant.role in GRADE_TIER_ROLES else states.TIER_OF_UNIT_KIND[grant.unit_kind]
                found.append((tier, grant.role))
        elif grant.reach == "paired":
            if MentorPair.objects.filter(mentor_id=user.pk, student_id=student.pk, is_active=True).exists():
                found.append((states.CLASS, grant.role))
    return found


def acting_tier(user, student: Student, permission: str) -> int | None:
    tiers = [tier for tier, _role in acting_roles(user, student, permission)]
    return states.higher(*tiers) if tiers else None

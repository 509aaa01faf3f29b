"""Reads about the region tree: nodes with their counts, a unit's staff and a school's grade/sex breakdown.

Counts are aggregates over units the user may browse (scope.units). They come from GROUP BY queries on the
denormalised placement columns of Student (city_id, district_id, school_id, grade_id, school_class_id), so
one expansion of the tree costs the same few queries however many children it shows. A user without
need-to-know for a unit (no role there that opens its student records) sees small counts as "<5"
(DOMAIN capability 13).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.people.models import Enrollment, RoleAssignment, Student

from .grades import sort_key as grade_sort_key
from .models import OrgUnit, ServiceGroup

SMALL_COUNT = 5  # counts 1–4 are shown as "<5" outside need-to-know

# The Student column that holds a student's unit of each kind.
STUDENT_COLUMN = {
    OrgUnit.Kind.CITY: "city_id",
    OrgUnit.Kind.DISTRICT: "district_id",
    OrgUnit.Kind.SCHOOL: "school_id",
    OrgUnit.Kind.GRADE: "grade_id",
    OrgUnit.Kind.CLASS: "school_class_id",
}
EXPANDABLE = {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.SCHOOL, OrgUnit.Kind.GRADE}


@dataclass
class Node:
    unit: OrgUnit
    students: int | None  # enrolled students placed under the unit; None where students do not apply
    schools: int | None  # for a city or district
    exact: bool  # the user may see the exact count (need-to-know)

    @property
    def expandable(self) -> bool:
        return self.unit.kind in EXPANDABLE

    @property
    def students_display(self) -> str:
        if self.students is None:
            return ""
        return display_count(self.students, self.exact)


def display_count(count: int, exact: bool) -> str:
    if exact or count == 0 or count >= SMALL_COUNT:
        return f"{count:,}"
    return f"<{SMALL_COUNT}"


def _need_to_know_paths(user) -> list[str]:
    """Paths of the units where the user's role opens the records of every student placed under them."""
    return [
        g.unit_path for g in scope.grants(user)
        if g.reach == "subtree" and roles.STUDENT_ROSTER in g.permissions and g.unit_path
    ]


def sees_students_of(user, unit: OrgUnit) -> bool:
    return any(unit.path.startswith(path) for path in _need_to_know_paths(user))


def student_counts(units: list[OrgUnit]) -> dict[int, int]:
    """Enrolled students per unit: one GROUP BY per kind of unit in the list (children share one kind)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for unit in units:
        if unit.kind in STUDENT_COLUMN:
            by_kind[unit.kind].append(unit.pk)
    counts: dict[int, int] = {}
    for kind, ids in by_kind.items():
        column = STUDENT_COLUMN[kind]
        rows = (
            Student.objects.filter(status=Student.Status.ENROLLED, **{f"{column}__in": ids})
            .order_by().values_list(column).annotate(n=Count("id"))
        )
        counts.update(dict(rows))
    return counts


def school_counts(units: list[OrgUnit]) -> dict[int, int]:
    """Active schools per city or district, in one query each kind."""
    counts: dict[int, int] = {}
    schools = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, is_active=True).order_by()
    districts = [u.pk for u in units if u.kind == OrgUnit.Kind.DISTRICT]
    cities = [u.pk for u in units if u.kind == OrgUnit.Kind.CITY]
    if districts:
        counts.update(dict(
            schools.filter(district_id__in=districts).values_list("district_id").annotate(n=Count("id"))
        ))
    if cities:
        counts.update(dict(
            schools.filter(parent__parent_id__in=cities).values_list("parent__parent_id").annotate(n=Count("id"))
        ))
    return counts


def nodes_for(user, units: list[OrgUnit]) -> list[Node]:
    students = student_counts(units)
    schools = school_counts(units)
    paths = _need_to_know_paths(user)
    return [
        Node(
            unit=unit,
            students=students.get(unit.pk, 0) if unit.kind in STUDENT_COLUMN else None,
            schools=schools.get(unit.pk, 0) if unit.kind in {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT} else None,
            exact=any(unit.path.startswith(path) for path in paths),
        )
        for unit in units
    ]


def tree_roots(user) -> list[Node]:
    """The user's topmost units (a city admin: the city; a psychology teacher: the school) with counts."""
    roots = scope.root_units(user, roles.ORG_BROWSE)
    # A head teacher's classes in reading order (七 → 八 → 九), not in the order their ids happen to run.
    return nodes_for(user, sorted(roots, key=lambda unit: (unit.depth, unit.school_id or 0, grade_sort_key(unit))))


def child_units(unit: OrgUnit) -> list[OrgUnit]:
    """Children in reading order (districts and schools by code and name, grades and classes by number):
    the active ones, or for a unit of an earlier school year its own (inactive) ones."""
    units = OrgUnit.objects.filter(parent=unit, is_active=unit.is_active).select_related("school_year")
    return sorted(units, key=lambda child: (child.kind, grade_sort_key(child)))


def children(user, unit: OrgUnit) -> list[Node]:
    """The children of a unit the caller has already checked the user may browse (scope.unit_or_404)."""
    return nodes_for(user, child_units(unit))


def unit_detail(user, unit_id: int) -> tuple[OrgUnit, list[OrgUnit]]:
    """The unit (404 outside the user's subtree) and its ancestors from the top, for the breadcrumb."""
    unit = scope.unit_or_404(user, unit_id, roles.ORG_BROWSE)
    ancestors = {u.pk: u for u in OrgUnit.objects.filter(pk__in=unit.ancestor_ids[:-1])}
    return unit, [ancestors[pk] for pk in unit.ancestor_ids[:-1] if pk in ancestors]


def past_grades(school: OrgUnit) -> list[OrgUnit]:
    """A school's grades of earlier school years (kept, inactive, after each rollover), newest first."""
    units = (OrgUnit.objects.filter(parent=school, kind=OrgUnit.Kind.GRADE, is_active=False)
             .select_related("school_year").order_by("-school_year__starts_on"))
    # sorted() is stable: within each school year (newest first) the grades go 七 → 八 → 九.
    return sorted(units, key=lambda grade: (-grade.school_year.starts_on.toordinal() if grade.school_year else 0,
                                            grade_sort_key(grade)))


def students_that_year(user, unit: OrgUnit) -> str:
    """For a grade or class of an earlier year: how many students were enrolled in it (from the enrollment
    history, as its students have moved on), suppressed like every count."""
    column = "school_class_id" if unit.kind == OrgUnit.Kind.CLASS else "school_class__parent_id"
    count = Enrollment.objects.filter(**{column: unit.pk}).values("student_id").distinct().count()
    return display_count(count, sees_students_of(user, unit))


def unit_staff(unit: OrgUnit) -> list[dict]:
    """Staff holding a role at exactly this unit: name and role (students' and parents' roles are not staff)."""
    rows = (
        RoleAssignment.objects.filter(org_unit=unit, is_active=True, student__isnull=True)
        .select_related("user").order_by("role", "user__display_name", "user__username")
    )
    return [
        {"name": str(a.user), "role": roles.role_label(a.role), "code": a.role, "ends_on": a.ends_on}
        for a in rows
    ]


def grade_sex_breakdown(user, school: OrgUnit, grades: list[OrgUnit]) -> dict:
    """Enrolled students of a school per grade and sex (one GROUP BY), with small counts suppressed for
    users without need-to-know. `grades` are the school's grade units to show, in order."""
    exact = sees_students_of(user, school)
    rows = (
        Student.objects.filter(school_id=school.pk, status=Student.Status.ENROLLED)
        .order_by().values_list("grade_id", "sex").annotate(n=Count("id"))
    )
    counts = {(grade_id, sex): n for grade_id, sex, n in rows}
    table = []
    for grade in grades:
        male, female = counts.get((grade.pk, "M"), 0), counts.get((grade.pk, "F"), 0)
        table.append({
            "grade": grade.name, "male": display_count(male, exact), "female": display_count(female, exact),
            "total": display_count(male + female, exact),
            # The chart leaves suppressed bars out rather than drawing a made-up height.
            "male_value": male if exact or male == 0 or male >= SMALL_COUNT else None,
            "female_value": female if exact or female == 0 or female >= SMALL_COUNT else None,
        })
    chart = {
        "labels": [row["grade"] for row in table],
        "datasets": [
            {"label": _("Boys"), "data": [row["male_value"] for row in table]},
            {"label": _("Girls"), "data": [row["female_value"] for row in table]},
        ],
    }
    return {"rows": table, "chart": chart, "exact": exact}


def search(user, query: str, *, limit: int = 50) -> list[OrgUnit]:
    """Active units the user may browse whose name contains `query` or whose code is `query`."""
    query = query.strip()
    if not query:
        return []
    units = scope.units(user, roles.ORG_BROWSE).filter(is_active=True)
    found = units.filter(Q(name__icontains=query) | Q(code=query)).order_by("depth", "path")[:limit]
    return list(found.select_related("parent"))


def service_groups(district: OrgUnit) -> list:
    """A district's service groups (片区) with their schools and staff, in two queries."""
    return list(ServiceGroup.objects.filter(district=district)
                .prefetch_related("memberships__school", "staff_links__user").order_by("code", "name"))


def service_group_or_404(user, group_id: int) -> ServiceGroup:
    """A service group of a district where the user holds org.manage."""
    group = (ServiceGroup.objects.filter(pk=group_id, district__in=scope.units(user, roles.ORG_MANAGE))
             .select_related("district").first())
    if group is None:
        raise Http404("No such service group")
    return group


def centre_staff_for(district: OrgUnit) -> list:
    """Who may serve a district's service groups: the centre staff of the district and of its city."""
    from runxin.accounts.models import User

    # The centre staff: the roles that take warnings escalated to a district or city centre.
    ids = (RoleAssignment.objects.filter(role__in=roles.roles_with(roles.ALERT_ESCALATED), is_active=True, student__isnull=True,
                                         org_unit_id__in=[district.pk, district.parent_id])
           .values("user_id"))
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "username"))

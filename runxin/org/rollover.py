"""School-year rollover (学年升级): promote every class, graduate the top grade, keep the history.

What applying does for one school, from year Y to year Y+1, in one transaction of set-based statements
(no per-student loop, so a 3,000-student school takes a fraction of a second):

* creates next year's grade and class units: 七年级(1)班 of Y gets 八年级(1)班 of Y+1 with the same class
  number, linked to it by `OrgUnit.previous`. A unit of Y+1 that already exists (a roster imported early)
  is reused. New intake classes (grade 1, 7, 10) are not created here: the roster import creates them.
* moves every enrolled student of a promoted class into its successor: the open Enrollment is closed on
  the last day of Y with end_reason "promoted", a new one opens on the first day of Y+1 with reason
  "promoted", and the placement columns (school_class, grade) follow. The enrollment rows are the history;
  people.services.students_move writes them (people is their one writer).
* graduates the top grade (depends on the school type, TOP_GRADE): status "graduated", enrollment closed
  with end_reason "graduated", placement kept (people.services.students_graduate).
* class teams go up with their class: every active role assignment at a promoted class or grade (head
  teacher, class psych committee member, the student's and parent's own class) moves to the successor.
  Assignments at a graduating class or grade end with it (students' and parents' own roles stay).
* marks the school's units of Y inactive (kept, and browsable, as history).
* records a SchoolRollover row: who, when, what. Its unique (school, to_year) makes a second apply refuse.

Students who are not "enrolled" (suspended, 休学) stay in their old class: they repeat or return by hand.
The new school year becomes the current one when the last school with active units in the old year has
rolled over: a school leader may roll their own school early; the city's run rolls the rest.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.people import services as people_services
from runxin.people.models import Enrollment, RoleAssignment, Student

from . import grades, services
from .models import OrgUnit, RolloverRun, SchoolRollover, SchoolYear

log = logging.getLogger(__name__)
ST = OrgUnit.SchoolType
TOP_GRADE = {
    ST.PRIMARY: 6, ST.JUNIOR: 9, ST.SENIOR: 12, ST.NINE_YEAR: 9, ST.COMPLETE: 12,
    ST.VOCATIONAL: 12,  # three-year programmes, grades 10–12
    ST.SPECIAL: 9,
}
# Roles that belong to a student rather than to the class team: they stay when the class graduates.
_STUDENT_ROLES = {"student", "parent"}


class RolloverError(ValueError):
    pass


# School years ----------------------------------------------------------------------------------------
def next_year_code(year: SchoolYear) -> str:
    return f"{year.start_year + 1}-{year.start_year + 2}"


def next_year(year: SchoolYear) -> SchoolYear | None:
    return SchoolYear.objects.filter(code=next_year_code(year)).first()


def next_year_get_or_create(year: SchoolYear) -> SchoolYear:
    start = year.start_year + 1
    to_year, _ = SchoolYear.objects.get_or_create(
        code=next_year_code(year),
        defaults={"starts_on": date(start, 9, 1), "ends_on": date(start + 1, 8, 31), "is_current": False},
    )
    return to_year


# Preview ---------------------------------------------------------------------------------------------
@dataclass
class ClassLine:
    unit: OrgUnit
    students: int
    head_teachers: int
    to_name: str | None  # None: the class graduates
    to_exists: bool = False


@dataclass
class SchoolPreview:
    school: OrgUnit
    from_year: SchoolYear
    to_year_code: str
    to_year_exists: bool
    top_grade: int | None
    lines: list[ClassLine] = field(default_factory=list)
    done: SchoolRollover | None = None

    @property
    def promoted(self) -> int:
        return sum(line.students for line in self.lines if line.to_name)

    @property
    def graduating(self) -> int:
        return sum(line.students for line in self.lines if not line.to_name)

    @property
    def classes_created(self) -> int:
        return sum(1 for line in self.lines if line.to_name and not line.to_exists)

    @property
    def problem(self) -> str:
        if self.top_grade is None:
            return _("The school has no school type, so its top grade is unknown. Set its type first.")
        if not self.lines:
            return _("The school has no classes in %(year)s.") % {"year": self.from_year.code}
        return ""


def preview_school(school: OrgUnit, from_year: SchoolYear) -> SchoolPreview:
    """What applying would do to one school, class by class (a fixed handful of queries)."""
    to_year = next_year(from_year)
    preview = SchoolPreview(school=school, from_year=from_year, to_year_code=next_year_code(from_year),
                            to_year_exists=to_year is not None, top_grade=TOP_GRADE.get(school.school_type))
    if to_year is not None:
        preview.done = SchoolRollover.objects.filter(school=school, to_year=to_year).select_related("applied_by").first()
    classes = list(OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.CLASS, school_year=from_year)
                   .order_by("grade_level", "class_number"))
    ids = [c.pk for c in classes]
    counts = dict(Student.objects.filter(school_class_id__in=ids, status=Student.Status.ENROLLED)
                  .order_by().values_list("school_class_id").annotate(n=Count("id")))
    heads = dict(RoleAssignment.objects.filter(org_unit_id__in=ids, role="head_teacher", is_active=True)
                 .order_by().values_list("org_unit_id").annotate(n=Count("id")))
    existing: set[tuple[int, int]] = set()
    if to_year is not None:
        existing = set(OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.CLASS, school_year=to_year)
                       .values_list("grade_level", "class_number"))
    top = preview.top_grade or 0
    for unit in classes:
        level, number = unit.grade_level or 0, unit.class_number or 0
        promoted = level < top
        preview.lines.append(ClassLine(
            unit=unit, students=counts.get(unit.pk, 0), head_teachers=heads.get(unit.pk, 0),
            to_name=grades.class_name(level + 1, number) if promoted else None,
            to_exists=(level + 1, number) in existing,
        ))
    return preview


@dataclass
class AreaLine:
    district: OrgUnit
    schools: int = 0
    rolled: int = 0
    promoted: int = 0
    graduating: int = 0
    classes_created: int = 0


def preview_area(area: OrgUnit, from_year: SchoolYear) -> list[AreaLine]:
    """A city's or district's rollover summarised per district: schools, students promoted and graduating,
    classes to create, schools already rolled. Four GROUP BY queries whatever the size of the city."""
    schools = OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, path__startswith=area.path, is_active=True)
    school_rows = list(schools.values_list("id", "district_id", "school_type"))
    top_of = {pk: TOP_GRADE.get(kind, 0) for pk, _, kind in school_rows}
    district_of = {pk: district for pk, district, _ in school_rows}
    lines = {d.pk: AreaLine(district=d) for d in OrgUnit.objects.filter(
        pk__in=set(district_of.values())).order_by("code", "name")}
    for pk in district_of:
        lines[district_of[pk]].schools += 1
    to_year = next_year(from_year)
    if to_year is not None:
        for pk in SchoolRollover.objects.filter(to_year=to_year, school__path__startswith=area.path).values_list(
                "school_id", flat=True):
            if pk in district_of:
                lines[district_of[pk]].rolled += 1
    students = (Student.objects.filter(school__path__startswith=area.path, status=Student.Status.ENROLLED,
                                       school_class__school_year=from_year)
                .order_by().values_list("school_id", "school_class__grade_level").annotate(n=Count("id")))
    for school_id, level, n in students:
        if school_id not in district_of:
            continue
        line = lines[district_of[school_id]]
        if (level or 0) < top_of[school_id]:
            line.promoted += n
        else:
            line.graduating += n
    classes = (OrgUnit.objects.filter(kind=OrgUnit.Kind.CLASS, school_year=from_year, path__startswith=area.path)
               .order_by().values_list("school_id", "grade_level").annotate(n=Count("id")))
    for school_id, level, n in classes:
        if school_id in district_of and (level or 0) < top_of[school_id]:
            lines[district_of[school_id]].classes_created += n
    return list(lines.values())


# Apply -----------------------------------------------------------------------------------------------
@dataclass
class SchoolResult:
    promoted: int
    graduated: int
    classes_created: int
    assignments_moved: int


def _successor_units(school: OrgUnit, old_units: list[OrgUnit], to_year: SchoolYear, parents: dict) -> list[OrgUnit]:
    """Units of `to_year` following `old_units` (grades or classes), reusing any that exist; linked by previous."""
    kind = old_units[0].kind if old_units else None
    existing = {
        (u.grade_level, u.class_number): u
        for u in OrgUnit.objects.filter(school=school, kind=kind, school_year=to_year)
    }
    created, relinked = [], []
    for old in old_units:
        level, number = old.grade_level + 1, old.class_number
        unit = existing.get((level, number))
        if unit is not None:
            if unit.previous_id is None:
                unit.previous_id = old.pk
                relinked.append(unit)
            continue
        name = grades.grade_name(level) if kind == OrgUnit.Kind.GRADE else grades.class_name(level, number)
        parent = school if kind == OrgUnit.Kind.GRADE else parents[level]
        created.append(OrgUnit(kind=kind, name=name, parent=parent, school_year=to_year, grade_level=level,
                               class_number=number, previous_id=old.pk))
    if relinked:
        OrgUnit.objects.bulk_update(relinked, ["previous"])
    return services.units_bulk_create(created) if created else []


def _successor(column: str, value: str = "id") -> Subquery:
    return Subquery(OrgUnit.objects.filter(previous_id=OuterRef(column)).values(value)[:1])


@transaction.atomic
def apply_school(*, school: OrgUnit, from_year: SchoolYear, to_year: SchoolYear, user=None,
                 run: RolloverRun | None = None) -> SchoolResult:
    """Roll one school from `from_year` into `to_year` (see the module docstring). Refuses, changing nothing,
    when the school was already rolled into `to_year`, has no classes in `from_year` or no school type."""
    if to_year.start_year != from_year.start_year + 1:
        raise RolloverError(_("%(to)s does not follow %(from)s.") % {"to": to_year.code, "from": from_year.code})
    top = TOP_GRADE.get(school.school_type)
    if top is None:
        raise RolloverError(_("%(school)s has no school type, so its top grade is unknown.") % {"school": school.name})
    done = SchoolRollover.objects.filter(school=school, to_year=to_year).select_related("applied_by").first()
    if done is not None:
        raise RolloverError(_("%(school)s was already rolled over into %(year)s on %(when)s; nothing was changed.") % {
            "school": school.name, "year": to_year.code, "when": timezone.localtime(done.applied_at).strftime("%Y-%m-%d %H:%M")})
    try:
        with transaction.atomic():
            claim = SchoolRollover.objects.create(school=school, from_year=from_year, to_year=to_year, run=run,
                                                  applied_by=user)
    except IntegrityError:  # a concurrent apply got there first
        raise RolloverError(_("%(school)s is being rolled over already; nothing was changed.") % {
            "school": school.name}) from None

    old_grades = list(OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.GRADE, school_year=from_year)
                      .order_by("grade_level"))
    old_classes = list(OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.CLASS, school_year=from_year)
                       .order_by("grade_level", "class_number"))
    if not old_classes:
        raise RolloverError(_("%(school)s has no classes in %(year)s.") % {"school": school.name, "year": from_year.code})
    up_grades = [g for g in old_grades if (g.grade_level or 0) < top]
    up_classes = [c for c in old_classes if (c.grade_level or 0) < top]
    top_ids = [u.pk for u in old_grades + old_classes if (u.grade_level or 0) >= top]
    up_class_ids = [c.pk for c in up_classes]
    up_ids = up_class_ids + [g.pk for g in up_grades]

    _successor_units(school, up_grades, to_year, {})
    grade_of = {g.grade_level: g for g in OrgUnit.objects.filter(school=school, kind=OrgUnit.Kind.GRADE,
                                                                school_year=to_year)}
    # Classes whose grade unit was missing in the old year still need a parent grade in the new one.
    for level in {c.grade_level + 1 for c in up_classes} - set(grade_of):
        grade_of[level] = services.grade_get_or_create(school=school, school_year=to_year, level=level)
    new_classes = _successor_units(school, up_classes, to_year, grade_of)
    if OrgUnit.objects.filter(previous_id__in=up_ids).count() != len(up_ids):
        # Only possible with inconsistent data (a unit of the new year already following another one);
        # stop rather than leave a student without a class. The transaction rolls everything back.
        raise RolloverError(_("%(school)s: some classes of %(year)s have no successor; nothing was changed.") % {
            "school": school.name, "year": to_year.code})

    last_day, first_day = from_year.ends_on, to_year.starts_on
    enrolled = Student.objects.filter(status=Student.Status.ENROLLED)
    promoted_students = enrolled.filter(school_class_id__in=up_class_ids)
    graduating_students = enrolled.filter(school_class_id__in=top_ids)

    # people writes the placement and the history: each promoted student goes to their class's successor
    # (the old enrollment ends on the last day of Y, the new one starts on the first day of Y+1), and the
    # top grade graduates (placement kept, enrollment ended).
    promoted = people_services.students_move(
        moves=promoted_students.annotate(to_class=_successor("school_class_id")).values_list("id", "to_class"),
        on=last_day, starts_on=first_day, reason=Enrollment.Reason.PROMOTED)
    graduated = people_services.students_graduate(students=graduating_students, on=last_day)

    # A class team member already assigned to the successor (ahead of the rollover) keeps that assignment;
    # the old one ends instead of moving onto it.
    at_successor = RoleAssignment.objects.filter(user_id=OuterRef("user_id"), role=OuterRef("role"),
                                                 org_unit__previous_id=OuterRef("org_unit_id"))
    RoleAssignment.objects.filter(org_unit_id__in=up_ids, is_active=True).filter(
        Q(Exists(at_successor.filter(student__isnull=True)), student__isnull=True)
        | Q(Exists(at_successor.filter(student_id=OuterRef("student_id"))))
    ).update(is_active=False, ends_on=last_day)
    moved = RoleAssignment.objects.filter(org_unit_id__in=up_ids, is_active=True).update(
        org_unit_id=_successor("org_unit_id"))
    RoleAssignment.objects.filter(org_unit_id__in=top_ids, is_active=True).exclude(role__in=_STUDENT_ROLES).update(
        is_active=False, ends_on=last_day)
    OrgUnit.objects.filter(school=school, school_year=from_year).update(is_active=False)

    claim.promoted, claim.graduated, claim.assignments_moved = promoted, graduated, moved
    claim.classes_created = sum(1 for u in new_classes if u.kind == OrgUnit.Kind.CLASS)
    claim.save(update_fields=["promoted", "graduated", "classes_created", "assignments_moved"])
    _make_current_when_all_rolled(from_year, to_year)
    return SchoolResult(promoted, graduated, claim.classes_created, moved)


def _make_current_when_all_rolled(from_year: SchoolYear, to_year: SchoolYear) -> None:
    if to_year.is_current or not SchoolYear.objects.filter(pk=from_year.pk, is_current=True).exists():
        return
    if OrgUnit.objects.filter(school_year=from_year, is_active=True).exists():
        return
    SchoolYear.objects.filter(pk=from_year.pk).update(is_current=False)
    SchoolYear.objects.filter(pk=to_year.pk).update(is_current=True)
    to_year.is_current = True


# Runs (background jobs) ------------------------------------------------------------------------------
def schools_in(unit: OrgUnit):
    if unit.kind == OrgUnit.Kind.SCHOOL:
        return OrgUnit.objects.filter(pk=unit.pk)
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, path__startswith=unit.path, is_active=True)


@transaction.atomic
def run_request(*, user, scope_unit: OrgUnit, from_year: SchoolYear, schedule: bool = True) -> RolloverRun:
    """Record a rollover of one school or every school under a city/district and schedule it after commit
    (the command passes schedule=False and runs it in the foreground). A single school that was already
    rolled over is refused here, before anything is queued."""
    if scope_unit.kind not in {OrgUnit.Kind.SCHOOL, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.CITY}:
        raise RolloverError(_("Choose a school, or a city or district for all its schools."))
    if RolloverRun.objects.filter(scope_unit=scope_unit, from_year=from_year,
                                  status__in=[RolloverRun.Status.QUEUED, RolloverRun.Status.RUNNING]).exists():
        raise RolloverError(_("A rollover of %(unit)s is already under way.") % {"unit": scope_unit.name})
    to_year = next_year_get_or_create(from_year)
    if scope_unit.kind == OrgUnit.Kind.SCHOOL:
        preview = preview_school(scope_unit, from_year)
        if preview.done is not None:
            raise RolloverError(_("%(school)s was already rolled over into %(year)s; nothing was changed.") % {
                "school": scope_unit.name, "year": to_year.code})
        if preview.problem:
            raise RolloverError(preview.problem)
    run = RolloverRun.objects.create(scope_unit=scope_unit, from_year=from_year, to_year=to_year, requested_by=user,
                                     schools_total=schools_in(scope_unit).count())
    if schedule:
        from .tasks import rollover_run_task

        transaction.on_commit(lambda: rollover_run_task.delay(run.pk))
    return run


def execute_run(run_id: int, progress=None) -> RolloverRun | None:
    """Carry out a queued run, one school per transaction, counting progress as it goes. Safe to call twice:
    only the call that moves the run from queued to running does anything, and schools already rolled
    into the year are skipped."""
    claimed = RolloverRun.objects.filter(pk=run_id, status=RolloverRun.Status.QUEUED).update(
        status=RolloverRun.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    run = RolloverRun.objects.select_related("scope_unit", "from_year", "to_year", "requested_by").get(pk=run_id)
    try:
        notes: list[str] = []
        done = set(SchoolRollover.objects.filter(to_year=run.to_year).values_list("school_id", flat=True))
        with_classes = set(OrgUnit.objects.filter(kind=OrgUnit.Kind.CLASS, school_year=run.from_year)
                           .values_list("school_id", flat=True).distinct())
        for school in schools_in(run.scope_unit).order_by("path"):
            result = None
            if school.pk not in done and school.pk in with_classes:
                try:
                    result = apply_school(school=school, from_year=run.from_year, to_year=run.to_year,
                                          user=run.requested_by, run=run)
                except RolloverError as refused:  # e.g. no school type: the others still roll over
                    notes.append(str(refused))
            if result is None:
                RolloverRun.objects.filter(pk=run.pk).update(schools_skipped=F("schools_skipped") + 1)
            else:
                RolloverRun.objects.filter(pk=run.pk).update(
                    schools_done=F("schools_done") + 1, promoted=F("promoted") + result.promoted,
                    graduated=F("graduated") + result.graduated,
                    classes_created=F("classes_created") + result.classes_created)
            if progress is not None:
                progress(RolloverRun.objects.get(pk=run.pk))
        RolloverRun.objects.filter(pk=run.pk).update(status=RolloverRun.Status.DONE, finished_at=timezone.now(),
                                                     error="\n".join(notes)[:4000])
    except Exception as exc:  # recorded on the run for the person watching it; that school's work rolled back
        log.exception("rollover run %s failed", run_id)
        RolloverRun.objects.filter(pk=run.pk).update(status=RolloverRun.Status.FAILED, finished_at=timezone.now(),
                                                     error=str(exc)[:4000])
    run.refresh_from_db()
    return run


def recent_runs(units_qs) -> list[RolloverRun]:
    return list(RolloverRun.objects.filter(scope_unit__in=units_qs).select_related(
        "scope_unit", "from_year", "to_year", "requested_by")[:10])


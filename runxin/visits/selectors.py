"""Reads about home visits and family contact (家访, 家校联系): one contact, a student's contacts, my planned visits,
and coverage, the rules the cities set:

  home_year        every student visited at home at least once in the school year (Jiaxing: 全员家访);
  key_home_year    every key student (重点学生, an open marking: Student.is_key_student) visited *at home* in the
                   school year: a phone call does not count;
  family_semester  every family contacted (home visit, phone, meeting at school or online; not a dormitory visit)
                   in the semester (Changchun, Changzhou);
  dorm_month       every boarder (Student.boarding) visited in the dormitory in the calendar month (Changchun).

Periods. The school year is the current org.SchoolYear (starts_on … ends_on; the one containing the day when none is
marked current; 1 September … 31 August when there is none). Its first semester runs from its start to the last day
of January, the second from 1 February to its end (the national calendar: autumn term September–January, spring
term February–July, the summer counting with the spring term). Only contacts done (status "done") count, on the day
they were done; enrolled students are counted where they are placed now.

Coverage is counted set-wise: one aggregate query for a unit and one grouped query for its children, whatever the
number of students (a district has some fifty thousand). Names are given only for one class, to the people who reach
its students (the head teacher's list); above it, counts and rates.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, Case, Count, Exists, Max, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from runxin.access import roles, scope
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import Student
from runxin.timeline import Entry

from .models import FamilyContact

Kind = FamilyContact.Kind
Status = FamilyContact.Status
FAMILY_KINDS = (Kind.HOME_VISIT, Kind.PHONE, Kind.MEETING, Kind.ONLINE)

HOME_YEAR, KEY_HOME_YEAR, FAMILY_SEMESTER, DORM_MONTH = "home_year", "key_home_year", "family_semester", "dorm_month"
REQUIREMENTS = (HOME_YEAR, KEY_HOME_YEAR, FAMILY_SEMESTER, DORM_MONTH)
REQUIREMENT_LABELS = {
    HOME_YEAR: gettext_lazy("Home visit this school year"),
    KEY_HOME_YEAR: gettext_lazy("Key students visited at home this school year"),
    FAMILY_SEMESTER: gettext_lazy("Family contacted this semester"),
    DORM_MONTH: gettext_lazy("Boarders visited in the dormitory this month"),
}


# ------------------------------------------------------------------------------------------------ periods

def year_bounds(day: date) -> tuple[date, date]:
    """The school year containing `day` (the current SchoolYear first)."""
    current = SchoolYear.objects.filter(is_current=True).first()
    if current is None or not current.starts_on <= day <= current.ends_on:
        current = SchoolYear.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("-starts_on").first() \
            or current
    if current is not None and current.starts_on <= day <= current.ends_on:
        return current.starts_on, current.ends_on
    start = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def semester_bounds(day: date, year: tuple[date, date] | None = None) -> tuple[date, date, int]:
    """(first day, last day, 1 or 2) of the semester containing `day`: see the module docstring."""
    starts, ends = year or year_bounds(day)
    february = date(starts.year + 1, 2, 1) if starts.month > 2 else date(starts.year, 2, 1)
    if starts <= february <= ends and day < february:
        return starts, february - timedelta(days=1), 1
    if starts <= february <= ends:
        return february, ends, 2
    return starts, ends, 1


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


@dataclass(frozen=True)
class Periods:
    today: date
    year: tuple[date, date]
    semester: tuple[date, date]
    semester_number: int
    month: tuple[date, date]


def periods(today: date | None = None) -> Periods:
    today = today or timezone.localdate()
    year = year_bounds(today)
    s0, s1, number = semester_bounds(today, year)
    return Periods(today, year, (s0, s1), number, month_bounds(today))


def _flags(p: Periods) -> dict:
    """Per student: whether each requirement is met (EXISTS subqueries on the (student, done_on) index)."""
    done = FamilyContact.objects.filter(student_id=OuterRef("pk"), status=Status.DONE)
    return {
        "v_home": Exists(done.filter(kind=Kind.HOME_VISIT, done_on__range=p.year)),
        "v_family": Exists(done.filter(kind__in=FAMILY_KINDS, done_on__range=p.semester)),
        "v_dorm": Exists(done.filter(kind=Kind.DORM_VISIT, done_on__range=p.month)),
    }


_BOARDER = Q(boarding=Student.Boarding.BOARDING)
_COUNTS = {
    "students": Count("id"),
    "home": Count("id", filter=Q(v_home=True)),
    "key": Count("id", filter=Q(is_key_student=True)),
    "key_home": Count("id", filter=Q(is_key_student=True, v_home=True)),
    "family": Count("id", filter=Q(v_family=True)),
    "boarders": Count("id", filter=_BOARDER),
    "dorm": Count("id", filter=_BOARDER & Q(v_dorm=True)),
}


# ------------------------------------------------------------------------------------------------- coverage

@dataclass
class Figures:
    """Counts of one group of students: how many each requirement applies to and how many meet it."""

    students: int = 0
    home: int = 0
    key: int = 0
    key_home: int = 0
    family: int = 0
    boarders: int = 0
    dorm: int = 0

    @classmethod
    def of(cls, row: dict) -> "Figures":
        return cls(**{name: row.get(name) or 0 for name in _COUNTS})

    def pairs(self) -> dict[str, tuple[int, int]]:
        """requirement → (met, applies to)."""
        return {HOME_YEAR: (self.home, self.students), KEY_HOME_YEAR: (self.key_home, self.key),
                FAMILY_SEMESTER: (self.family, self.students), DORM_MONTH: (self.dorm, self.boarders)}


@dataclass
class UnitRow:
    unit_id: int | None
    name: str
    kind: str
    figures: Figures


@dataclass
class UnitCoverage:
    unit: OrgUnit
    periods: Periods
    totals: Figures
    children: list[UnitRow]
    child_kind: str | None


_UNIT_COLUMN = {"city": "city_id", "district": "district_id", "school": "school_id", "grade": "grade_id",
                "class": "school_class_id"}
_CHILD_COLUMN = {"city": ("district", "district_id"), "district": ("school", "school_id"),
                 "school": ("class", "school_class_id"), "grade": ("class", "school_class_id")}


def _enrolled_under(unit: OrgUnit) -> QuerySet[Student]:
    # Figures for a unit the caller may see (coverage_unit_or_404 checked it): counts, names only by shows_names.
    return scope.students_under(unit).filter(status=Student.Status.ENROLLED)


def coverage(unit: OrgUnit, *, today: date | None = None) -> UnitCoverage:
    """The coverage figures of every enrolled student under `unit` (a city, district, school, grade or class),
    overall and per child unit (districts, schools or classes): two queries. Counts only: the caller has
    checked VISIT_COVERAGE at the unit (coverage_unit_or_404)."""
    p = periods(today)
    base = _enrolled_under(unit).alias(**_flags(p))
    totals = Figures.of(base.aggregate(**_COUNTS))
    children: list[UnitRow] = []
    child = _CHILD_COLUMN.get(unit.kind)
    if child:
        kind, column = child
        rows = {row[column]: Figures.of(row) for row in base.values(column).annotate(**_COUNTS).order_by()}
        names = unit_names(rows)
        for uid in sorted(rows, key=lambda i: (names.get(i, "\uffff") if i is not None else "\uffff", i or 0)):
            children.append(UnitRow(uid, names.get(uid, "—"), kind, rows[uid]))
    return UnitCoverage(unit=unit, periods=p, totals=totals, children=children,
                        child_kind=child[0] if child else None)


COUNT_FIELDS = tuple(_COUNTS)


def coverage_leaves(city: OrgUnit, *, today: date | None = None) -> dict[tuple, dict]:
    """The counts of every class of the city (and of the students placed above any class), keyed by (district,
    school, grade, class) ids, one grouped query: what published.py adds up and decides suppression over."""
    base = _enrolled_under(city).alias(**_flags(periods(today)))
    columns = ("district_id", "school_id", "grade_id", "school_class_id")
    return {tuple(row[c] for c in columns): row for row in base.values(*columns).annotate(**_COUNTS).order_by()}


def child_kind(unit: OrgUnit) -> str | None:
    """The kind of the rows of a unit's coverage page (a city's districts, a district's schools, a school's or a
    grade's classes), None for a class."""
    child = _CHILD_COLUMN.get(unit.kind)
    return child[0] if child else None


def unit_names(ids) -> dict[int, str]:
    return dict(OrgUnit.objects.filter(pk__in=[i for i in ids if i is not None]).values_list("id", "name"))


def coverage_units(user) -> list[OrgUnit]:
    """The topmost units whose coverage the user may open (a head teacher: the class; a leader: the school …)."""
    return [u for u in scope.root_units(user, roles.VISIT_COVERAGE) if u.kind in _UNIT_COLUMN]


def coverage_unit_or_404(user, unit_id: int) -> OrgUnit:
    unit = scope.unit_or_404(user, unit_id, roles.VISIT_COVERAGE)
    if unit.kind not in _UNIT_COLUMN:
        raise Http404("No coverage for this unit")
    return unit


def shows_names(user, unit: OrgUnit) -> bool:
    """Whether the user may see the names of the unit's students (and so small counts as they are)."""
    return scope.unit_permission(user, unit, roles.STUDENT_ROSTER)


@dataclass
class Recorder:
    user_id: int | None
    name: str
    done: int
    home: int
    planned: int
    overdue: int


def by_recorder(unit: OrgUnit, *, today: date | None = None) -> list[Recorder]:
    """Per teacher who recorded them: contacts done this school year, home visits among them, visits planned and
    planned ones overdue, for the contacts kept with `unit` (the school and class at the time). One query."""
    p = periods(today)
    column = {"class": "school_class_id", "school": "school_id"}.get(unit.kind)
    if column:
        qs = FamilyContact.objects.filter(**{column: unit.pk})
    else:
        qs = FamilyContact.objects.filter(school__path__startswith=unit.path)
    done = Q(status=Status.DONE, done_on__range=p.year)
    rows = (qs.filter(done | Q(status=Status.PLANNED)).values("recorded_by_id", "recorded_by__display_name",
                                                            "recorded_by__username")
            .annotate(done=Count("id", filter=done), home=Count("id", filter=done & Q(kind=Kind.HOME_VISIT)),
                      planned=Count("id", filter=Q(status=Status.PLANNED)),
                      overdue=Count("id", filter=Q(status=Status.PLANNED, planned_on__lt=p.today)))
            .order_by("-done", "recorded_by__display_name"))
    return [Recorder(r["recorded_by_id"], r["recorded_by__display_name"] or r["recorded_by__username"] or "—",
                     r["done"], r["home"], r["planned"], r["overdue"]) for r in rows[:200]]


# --------------------------------------------------------------------------------------- one class, by name

@dataclass
class StudentCoverage:
    student: Student
    met: dict[str, bool | None]  # requirement → met (None: does not apply to this student)
    planned: list[FamilyContact] = field(default_factory=list)
    last_home: date | None = None

    @property
    def missing(self) -> list[str]:
        return [r for r in REQUIREMENTS if self.met.get(r) is False]


@dataclass
class ClassCoverage:
    school_class: OrgUnit
    periods: Periods
    rows: list[StudentCoverage]
    missing: dict[str, list[Student]]  # requirement → the students who do not meet it, by name

    @property
    def figures(self) -> Figures:
        rows = self.rows
        return Figures(
            students=len(rows), home=sum(1 for r in rows if r.met[HOME_YEAR]),
            key=sum(1 for r in rows if r.met[KEY_HOME_YEAR] is not None),
            key_home=sum(1 for r in rows if r.met[KEY_HOME_YEAR]),
            family=sum(1 for r in rows if r.met[FAMILY_SEMESTER]),
            boarders=sum(1 for r in rows if r.met[DORM_MONTH] is not None),
            dorm=sum(1 for r in rows if r.met[DORM_MONTH]))


def class_coverage(user, school_class: OrgUnit, *, today: date | None = None) -> ClassCoverage:
    """The head teacher's list: each enrolled student of the class the user reaches (VISIT_COVERAGE), what they
    miss, their planned visits. Three queries whatever the class size."""
    p = periods(today)
    students = list(scope.students(user, roles.VISIT_COVERAGE)
                    .filter(school_class_id=school_class.pk, status=Student.Status.ENROLLED)
                    .annotate(**_flags(p)).order_by("name", "pk"))
    ids = [s.pk for s in students]
    planned: dict[int, list[FamilyContact]] = {}
    for c in FamilyContact.objects.filter(student_id__in=ids, status=Status.PLANNED).order_by("planned_on", "pk"):
        planned.setdefault(c.student_id, []).append(c)
    last_home = dict(FamilyContact.objects.filter(student_id__in=ids, status=Status.DONE, kind=Kind.HOME_VISIT)
                     .values("student_id").annotate(last=Max("done_on")).values_list("student_id", "last"))
    rows, missing = [], {r: [] for r in REQUIREMENTS}
    boarder = Student.Boarding.BOARDING
    for s in students:
        met = {HOME_YEAR: s.v_home, KEY_HOME_YEAR: s.v_home if s.is_key_student else None,
               FAMILY_SEMESTER: s.v_family, DORM_MONTH: s.v_dorm if s.boarding == boarder else None}
        row = StudentCoverage(s, met, planned.get(s.pk, []), last_home.get(s.pk))
        rows.append(row)
        for requirement in row.missing:
            missing[requirement].append(s)
    return ClassCoverage(school_class, p, rows, missing)


def class_or_404(user, class_id: int) -> OrgUnit:
    """A class whose students' names the user may see with VISIT_COVERAGE (head teacher, grade leader, school
    care team, the district centre). 404 otherwise, also for a city administrator who sees rates only."""
    unit = scope.unit_or_404(user, class_id, roles.VISIT_COVERAGE)
    if unit.kind != OrgUnit.Kind.CLASS or not shows_names(user, unit):
        raise Http404("No such class")
    return unit


# ------------------------------------------------------------------------------------ contacts and my visits

def contacts_visible(user) -> QuerySet[FamilyContact]:
    """Contacts about the students whose file (CASE_FILE) the user reaches."""
    return FamilyContact.objects.filter(student__in=scope.students(user, roles.CASE_FILE))


def contact_or_404(user, contact_id: int) -> FamilyContact:
    try:
        return (contacts_visible(user).select_related("student__school", "student__school_class", "school",
                                                      "school_class", "recorded_by").get(pk=contact_id))
    except (FamilyContact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact") from None


def student_contacts(student: Student, *, limit: int = 50) -> list[FamilyContact]:
    """A student's contacts, newest first (the caller has checked access to the student)."""
    return list(FamilyContact.objects.filter(student=student).select_related("recorded_by")
                .order_by("-done_on", "-planned_on", "-pk")[:limit])


def may_read_text(held: set[str]) -> bool:
    """What was seen and agreed with the family is for those who contact the family (GUARDIAN_CONTACT) or plan
    the case (CASE_PLAN); others with the file see that a contact happened, when, by whom."""
    return bool({roles.GUARDIAN_CONTACT, roles.CASE_PLAN} & held)


def mine(user, *, today: date | None = None, limit: int = 200) -> list[FamilyContact]:
    """The visits I planned that are still to be done, overdue first, then soonest; only students I still reach
    with VISIT_RECORD."""
    today = today or timezone.localdate()
    return list(FamilyContact.objects.filter(recorded_by_id=user.pk, status=Status.PLANNED,
                                             student__in=scope.students(user, roles.VISIT_RECORD))
                .annotate(overdue=Case(When(planned_on__lt=today, then=Value(True)), default=Value(False),
                                       output_field=BooleanField()))
                .select_related("student__school", "student__school_class")
                .order_by("-overdue", "planned_on", "pk")[:limit])


# ------------------------------------------------------------------------------------------ the student's file

def _at(day: date | None, fallback: datetime) -> datetime:
    if day is None:
        return fallback
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def file_entries(user, student: Student, held: set[str]) -> list[Entry]:
    """The student's visits and family contacts for the file (一人一档). Shown to those with the file
    (CASE_FILE) or who record visits (VISIT_RECORD); what was seen and agreed only to those who contact the
    family or plan the case (may_read_text); the link to the contact's page with CASE_FILE."""
    if not {roles.CASE_FILE, roles.VISIT_RECORD} & held:
        return []
    text = may_read_text(held)
    linked = roles.CASE_FILE in held
    entries = []
    for c in student_contacts(student, limit=200):
        status = {Status.PLANNED: _("planned"), Status.DONE: _("done"), Status.CANCELLED: _("cancelled")}[c.status]
        title = _("%(kind)s (%(status)s)") % {"kind": c.get_kind_display(), "status": status}
        detail = ""
        if text and c.status == Status.DONE:
            parts = [c.summary]
            if c.agreed:
                parts.append(_("Agreed with the family: %(agreed)s") % {"agreed": c.agreed})
            detail = "\n".join(p for p in parts if p)
        badges = ()
        if c.status == Status.PLANNED and c.planned_on and c.planned_on < timezone.localdate():
            badges = (_("overdue"),)
        entries.append(Entry(
            at=_at(c.done_on if c.status == Status.DONE else c.planned_on, c.created_at), kind="visit", title=title,
            detail=detail, url=reverse("visits:detail", args=[c.pk]) if linked else "",
            actor=str(c.recorded_by) if c.recorded_by_id else "", badges=badges))
    return entries

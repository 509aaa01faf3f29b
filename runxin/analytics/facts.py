"""The figures every dashboard reads (UnitFigure), what they mean and how they are computed: the one writer of
the table.

A figure is one measure of one unit (class, grade, school, district, city) in one calendar month. Flows count
what happened in the month; stocks are the value at the month's end, or now for the running month (past
stocks come from the records' history: enrollments, key-student markings, the warnings' events).

Attribution (the contract of issue 13): a student's records count at the student's current class, and from
there its grade, school, district and city (as the warning overview counts them); screening figures count at
the class stored on the campaign target (where the student sat when the campaign opened). Incident reviews
(复盘) count at the school that holds the review and above, never at a grade or class. Records of a student
without a class count nowhere. So every total is exactly the sum of its parts: a grade of its classes, a
school of its grades, a district of its schools, the city of its districts.

recompute_schools() computes a school's figures with a few set-based GROUP BY queries (none per student),
writes what changed in one transaction per school, adds the districts and the city up from their schools and
decides which figures are suppressed (small counts, core/suppression.py) over the whole tree for every month
that changed. The SQL is written for PostgreSQL and SQLite (the embedded demo) alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from runxin.alerts import states
from runxin.alerts.models import FollowUp, Warning, WarningEvent, WarningLevel
from runxin.cases.models import IncidentReview
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import Enrollment, KeyStudentMark, Student
from runxin.referrals.models import Referral
from runxin.screening.models import CampaignTarget, Result, Submission
from runxin.visits.models import FamilyContact

from .core.suppression import suppress
from .models import UnitFigure

FLOW, STOCK = "flow", "stock"


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    kind: str  # FLOW or STOCK


MEASURES: tuple[Measure, ...] = (
    Measure("students", _("Enrolled students"), STOCK),
    Measure("screening.covered", _("Students screened this school year"), STOCK),
    Measure("screening.results", _("Screening results"), FLOW),
    Measure("screening.results.none", _("Results without concern"), FLOW),
    Measure("screening.results.moderate", _("Results of moderate concern"), FLOW),
    Measure("screening.results.high", _("Results of high concern"), FLOW),
    Measure("screening.results.unbanded", _("Results without a band"), FLOW),
    Measure("screening.results.critical", _("Results with a critical item"), FLOW),
    Measure("screening.results.invalid", _("Results not valid"), FLOW),
    Measure("warnings.new", _("New warnings"), FLOW),
    Measure("warnings.current", _("Students with a current warning"), STOCK),
    Measure("warnings.cleared", _("Warnings cleared"), FLOW),
    Measure("warnings.escalated", _("Warnings escalated"), FLOW),
    Measure("warnings.overdue", _("Current warnings overdue"), STOCK),
    Measure("followups.due", _("Follow-ups due"), FLOW),
    Measure("followups.done", _("Follow-ups done"), FLOW),
    Measure("followups.overdue", _("Follow-ups overdue"), STOCK),
    Measure("referrals.new", _("Referrals made"), FLOW),
    Measure("referrals.first_visit", _("Referrals with a first visit"), FLOW),
    Measure("referrals.days_to_first_visit", _("Days from referral to first visit (sum)"), FLOW),
    Measure("visits.home", _("Home visits"), FLOW),
    Measure("visits.covered", _("Students visited at home this school year"), STOCK),
    Measure("visits.key_students", _("Key students"), STOCK),
    Measure("visits.key_covered", _("Key students visited at home this school year"), STOCK),
    Measure("incidents.new", _("Incidents"), FLOW),
)
BY_LEVEL = ("warnings.new", "warnings.current")  # each also per warning level: "warnings.new.<level code>"
BANDS = ("screening.results.none", "screening.results.moderate", "screening.results.high",
         "screening.results.unbanded")
# Not about anyone's risk: never suppressed, and outside every line (issue 13's contract).
NEVER_SUPPRESSED = frozenset({"students", "screening.covered"})
# Counted at the school and above only (an incident review belongs to the school, not to a class).
SCHOOL_AND_ABOVE = frozenset({"incidents.new"})
# A mean (days ÷ first visits) from a hidden count is hidden too: the days follow their count.
FOLLOWS = {"referrals.days_to_first_visit": "referrals.first_visit"}
TREE_KINDS = (OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.SCHOOL, OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS)


def _level_label(template, level_names: tuple[str, str]) -> str:
    name = level_names[1] if (get_language() or "").startswith("en") else level_names[0]
    return str(template) % {"level": name}


_lazy_level_label = lazy(_level_label, str)


def measures(levels: Iterable[WarningLevel] | None = None) -> tuple[Measure, ...]:
    """The whole catalogue in display order: MEASURES with, after new and current warnings, one measure per
    warning level (most severe first), e.g. "warnings.new.red"."""
    levels = list(WarningLevel.objects.order_by("-severity")) if levels is None else list(levels)
    templates = {"warnings.new": _("New warnings: %(level)s"),
                 "warnings.current": _("Students with a current warning: %(level)s")}
    found: list[Measure] = []
    for measure in MEASURES:
        found.append(measure)
        if measure.code in BY_LEVEL:
            found += [Measure(f"{measure.code}.{level.code}",
                              _lazy_level_label(templates[measure.code], (level.name_zh, level.name_en)),
                              measure.kind) for level in levels]
    return tuple(found)


def breakdowns(level_codes: Iterable[str]) -> dict[str, list[str]]:
    """Each total measure and its parts (total = sum of parts): new and current warnings by level, screening
    results by band level (with the remainder that has no band)."""
    codes = list(level_codes)
    return {**{total: [f"{total}.{code}" for code in codes] for total in BY_LEVEL}, "screening.results": list(BANDS)}


# --------------------------------------------------------------------------------------------------- months

def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    months, month = [], month_of(first)
    while month <= month_of(last):
        months.append(month)
        month = next_month(month)
    return months


def school_year_start(day: date, years: list[tuple[date, date]] | None = None) -> date:
    """The first day of the school year containing `day`: the SchoolYear that holds it (the latest that does),
    else 1 September."""
    years = _school_years() if years is None else years
    starts = [start for start, end in years if start <= day <= end]
    if starts:
        return max(starts)
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def _school_years() -> list[tuple[date, date]]:
    return list(SchoolYear.objects.values_list("starts_on", "ends_on"))


@dataclass(frozen=True)
class Window:
    """One month as the queries see it: its bounds, and the moment its stocks are taken (the month's end, or
    now for the running month)."""

    month: date
    following: date  # the first day of the next month
    starts: datetime
    ends: datetime
    stock_at: datetime
    stock_day: date  # the last day counted in a stock: the month's last day, or today
    year_start: date  # the first day of the school year of stock_day
    running: bool


def windows(months: Iterable[date], *, now: datetime | None = None) -> list[Window]:
    """The windows of `months` (first days) up to the running month; later months are left out."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    running = month_of(today)
    years = _school_years()
    tz = timezone.get_current_timezone()
    found = []
    for month in sorted({month_of(m) for m in months}):
        if month > running:
            continue
        following = next_month(month)
        is_running = month == running
        ends = datetime.combine(following, time.min, tzinfo=tz)
        stock_day = today if is_running else following - timedelta(days=1)
        found.append(Window(month, following, datetime.combine(month, time.min, tzinfo=tz), ends,
                            now if is_running else ends, stock_day, school_year_start(stock_day, years),
                            is_running))
    return found


# ---------------------------------------------------------------------------------------------------- SQL

def _param(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


# A result is scored when its questionnaire is handed in (Result.scored_at is the target's finished_at): the
# results of a month are read from the targets finished since a little before it, not from every campaign.
SCORED_WITHIN = timedelta(days=31)


def _months_cte(wins: list[Window]) -> tuple[str, list]:
    """`m(mo, nxt, t0, t1, sat, sday, ys, ysat, run)`: one row per month (see Window); and `lim`, the bounds of
    them all (first start, the same less SCORED_WITHIN, first month, first school-year start as a day and as a
    moment, first and last stock day), which let each query read a school's rows from those months only."""
    tz = timezone.get_current_timezone()
    rows, params = [], []
    for w in wins:
        rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params += [_param(v) for v in (w.month, w.following, w.starts, w.ends, w.stock_at, w.stock_day, w.year_start,
                                       datetime.combine(w.year_start, time.min, tzinfo=tz), 1 if w.running else 0)]
    first = min(w.starts for w in wins)
    year = min(w.year_start for w in wins)
    params += [_param(v) for v in (first, first - SCORED_WITHIN, min(w.month for w in wins), year,
                                   datetime.combine(year, time.min, tzinfo=tz), min(w.stock_day for w in wins),
                                   max(w.stock_day for w in wins))]
    return (f"m(mo, nxt, t0, t1, sat, sday, ys, ysat, run) AS (VALUES {', '.join(rows)}), "
            "lim(t0, early, mo, ys, ysat, sday0, sday1) AS (VALUES (%s, %s, %s, %s, %s, %s, %s))"), params


def _in(values: Iterable) -> tuple[str, list]:
    values = list(values)
    return ", ".join(["%s"] * len(values)), values


def _tier_rank(column: str) -> str:
    return "CASE " + column + " " + " ".join(f"WHEN {tier} THEN {rank}" for tier, rank in states.RANK.items()) + " END"


def _whole_days(start: str, end: str) -> str:
    """Whole days from `start` to `end` (two timestamp columns), never below 0."""
    if connection.vendor == "postgresql":
        return f"GREATEST(0, FLOOR(EXTRACT(EPOCH FROM ({end} - {start})) / 86400))"
    return f"MAX(0, CAST(julianday({end}) - julianday({start}) AS INTEGER))"


T = {name: model._meta.db_table for name, model in {
    "student": Student, "enrollment": Enrollment, "mark": KeyStudentMark, "contact": FamilyContact,
    "target": CampaignTarget, "submission": Submission, "result": Result, "warning": Warning,
    "event": WarningEvent, "followup": FollowUp, "referral": Referral, "incident": IncidentReview,
}.items()}

_CURRENT, _CURRENT_PARAMS = _in(sorted(states.CURRENT))

# Per class and month: enrolled students, key students, students visited at home this school year and key
# students among them. Past months from the history (an enrollment open at the month's end, a key-student
# marking open then); the running month from the student's status and key flag now. Joins over the student's
# few rows rather than a lookup per student and month.
SQL_STUDENTS = f"""
WITH pupils AS MATERIALIZED (
  SELECT s.id, s.school_id AS school, s.school_class_id AS cls, s.status, s.is_key_student FROM {T["student"]} s
  WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL),
stays AS MATERIALIZED (
  SELECT e.student_id, e.started_on, e.ended_on FROM pupils JOIN {T["enrollment"]} e ON e.student_id = pupils.id
  WHERE e.started_on <= (SELECT sday1 FROM lim) AND (e.ended_on IS NULL OR e.ended_on > (SELECT sday0 FROM lim))),
marks AS MATERIALIZED (
  SELECT km.student_id, km.marked_on, km.ended_on FROM pupils JOIN {T["mark"]} km ON km.student_id = pupils.id
  WHERE km.ended_on IS NULL OR km.ended_on > (SELECT sday0 FROM lim)),
homes AS MATERIALIZED (
  SELECT v.student_id, v.done_on FROM pupils JOIN {T["contact"]} v ON v.student_id = pupils.id
  WHERE v.kind = 'home_visit' AND v.status = 'done' AND v.done_on >= (SELECT ys FROM lim)),
sm AS MATERIALIZED (
  SELECT pupils.id AS sid, pupils.school, pupils.cls, m.mo, m.sday, m.ys, m.run,
         CASE WHEN pupils.is_key_student THEN 1 ELSE 0 END AS key_now
  FROM pupils JOIN m ON m.run = 1 WHERE pupils.status = 'enrolled'
  UNION ALL
  SELECT DISTINCT pupils.id, pupils.school, pupils.cls, m.mo, m.sday, m.ys, m.run, 0
  FROM pupils JOIN stays ON stays.student_id = pupils.id
  JOIN m ON m.run = 0 AND stays.started_on <= m.sday AND (stays.ended_on IS NULL OR stays.ended_on > m.sday)),
marked AS (
  SELECT DISTINCT sm.sid, sm.mo FROM sm JOIN marks ON marks.student_id = sm.sid
  WHERE sm.run = 0 AND marks.marked_on <= sm.sday AND (marks.ended_on IS NULL OR marks.ended_on > sm.sday)),
visited AS (
  SELECT DISTINCT sm.sid, sm.mo FROM sm JOIN homes ON homes.student_id = sm.sid
  WHERE homes.done_on >= sm.ys AND homes.done_on <= sm.sday)
SELECT school, cls, mo, COUNT(*), SUM(k), SUM(v), SUM(k * v) FROM (
  SELECT sm.school, sm.cls, sm.mo, CASE WHEN sm.key_now = 1 OR marked.sid IS NOT NULL THEN 1 ELSE 0 END AS k,
         CASE WHEN visited.sid IS NOT NULL THEN 1 ELSE 0 END AS v
  FROM sm LEFT JOIN marked ON marked.sid = sm.sid AND marked.mo = sm.mo
  LEFT JOIN visited ON visited.sid = sm.sid AND visited.mo = sm.mo) x
GROUP BY school, cls, mo
"""  # noqa: S608 (table names and constants only)

# Per campaign-target class and month: results scored, by band level, critical, not valid.
SQL_RESULTS = f"""
SELECT t.school_id, t.school_class_id, m.mo, COUNT(*),
  SUM(CASE WHEN r.band_level = 'none' THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.band_level = 'moderate' THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.band_level = 'high' THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.critical THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.validity <> 'valid' THEN 1 ELSE 0 END)
FROM {T["target"]} t
JOIN {T["submission"]} sub ON sub.target_id = t.id
JOIN {T["result"]} r ON r.submission_id = sub.id
JOIN m ON r.scored_at >= m.t0 AND r.scored_at < m.t1
WHERE t.school_id IN (SCHOOLS) AND t.school_class_id IS NOT NULL
  AND (t.finished_at IS NULL OR t.finished_at >= (SELECT early FROM lim))
GROUP BY t.school_id, t.school_class_id, m.mo
"""  # noqa: S608 (table names and constants only)

# Students with a finished screening this school year, each counted once: at the class of their latest
# finished target (in whatever school) up to the moment of the stock, looked up by student (its index).
SQL_COVERED = f"""
SELECT t.school_id, t.school_class_id, m.mo, COUNT(*)
FROM {T["target"]} t JOIN m ON t.finished_at >= m.ysat AND t.finished_at < m.sat
WHERE t.school_id IN (SCHOOLS) AND t.school_class_id IS NOT NULL AND t.finished_at >= (SELECT ysat FROM lim)
  AND t.id = (
  SELECT t2.id FROM {T["target"]} t2 WHERE t2.student_id = t.student_id AND t2.finished_at < m.sat
    AND t2.finished_at >= m.ysat ORDER BY t2.finished_at DESC, t2.id DESC LIMIT 1)
GROUP BY t.school_id, t.school_class_id, m.mo
"""  # noqa: S608 (table names and constants only)

# New warnings per level (the warning's level now), dismissed ones left out.
SQL_NEW = f"""
SELECT s.school_id, s.school_class_id, m.mo, w.level_id, COUNT(*)
FROM {T["warning"]} w JOIN {T["student"]} s ON s.id = w.student_id
JOIN m ON w.raised_at >= m.t0 AND w.raised_at < m.t1
WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL AND w.state <> 'dismissed'
  AND w.raised_at >= (SELECT t0 FROM lim)
GROUP BY s.school_id, s.school_class_id, m.mo, w.level_id
"""  # noqa: S608 (table names and constants only)

# Warnings cleared (解除 approved) and escalated (moved to a higher tier of the network) in the month.
SQL_STEPS = f"""
SELECT s.school_id, s.school_class_id, m.mo,
  COUNT(DISTINCT CASE WHEN e.kind = 'clear_approved' THEN e.warning_id END),
  COUNT(DISTINCT CASE WHEN e.kind <> 'clear_approved' THEN e.warning_id END)
FROM {T["event"]} e JOIN {T["warning"]} w ON w.id = e.warning_id JOIN {T["student"]} s ON s.id = w.student_id
JOIN m ON e.at >= m.t0 AND e.at < m.t1
WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL AND e.at >= (SELECT t0 FROM lim)
  AND (e.kind = 'clear_approved' OR (e.from_tier IS NOT NULL AND e.to_tier IS NOT NULL
       AND {_tier_rank("e.to_tier")} > {_tier_rank("e.from_tier")}))
GROUP BY s.school_id, s.school_class_id, m.mo
"""  # noqa: S608 (table names and constants only)

# Students with a current warning at the end of a past month, per level then: from the warning's events
# (the state an event leaves lasts until the next event; the level likewise).
SQL_CURRENT_PAST = f"""
WITH ev AS (
  SELECT e.id, e.warning_id, e.at, e.to_state, e.to_level_id
  FROM {T["event"]} e JOIN {T["warning"]} w ON w.id = e.warning_id JOIN {T["student"]} s ON s.id = w.student_id
  WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL),
si AS (SELECT warning_id, at, to_state, LEAD(at) OVER (PARTITION BY warning_id ORDER BY at, id) AS until
       FROM ev WHERE to_state <> ''),
li AS (SELECT warning_id, at, to_level_id, LEAD(at) OVER (PARTITION BY warning_id ORDER BY at, id) AS until
       FROM ev WHERE to_level_id IS NOT NULL)
SELECT s.school_id, s.school_class_id, m.mo, COALESCE(li.to_level_id, w.level_id), COUNT(DISTINCT w.student_id)
FROM si JOIN m ON m.run = 0 AND si.at < m.sat AND (si.until IS NULL OR si.until >= m.sat)
JOIN {T["warning"]} w ON w.id = si.warning_id JOIN {T["student"]} s ON s.id = w.student_id
LEFT JOIN li ON li.warning_id = si.warning_id AND li.at < m.sat AND (li.until IS NULL OR li.until >= m.sat)
WHERE si.to_state IN ({_CURRENT})
GROUP BY s.school_id, s.school_class_id, m.mo, COALESCE(li.to_level_id, w.level_id)
"""  # noqa: S608 (table names and constants only)

# The same now (the running month), and those past their due time.
SQL_CURRENT_NOW = f"""
SELECT s.school_id, s.school_class_id, w.level_id, COUNT(DISTINCT w.student_id),
  COUNT(DISTINCT CASE WHEN w.due_at <= %s THEN w.student_id END)
FROM {T["warning"]} w JOIN {T["student"]} s ON s.id = w.student_id
WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL AND w.state IN ({_CURRENT})
GROUP BY s.school_id, s.school_class_id, w.level_id
"""  # noqa: S608 (table names and constants only)

# Follow-ups (回访) due in the month, done in the month, and open past their day (the running month).
SQL_FOLLOW_UPS = f"""
SELECT s.school_id, s.school_class_id, m.mo,
  SUM(CASE WHEN f.due_on >= m.mo AND f.due_on < m.nxt THEN 1 ELSE 0 END),
  SUM(CASE WHEN f.done_at >= m.t0 AND f.done_at < m.t1 THEN 1 ELSE 0 END),
  SUM(CASE WHEN m.run = 1 AND f.done_at IS NULL AND f.due_on < m.sday THEN 1 ELSE 0 END)
FROM {T["followup"]} f JOIN {T["student"]} s ON s.id = f.student_id CROSS JOIN m
WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL
GROUP BY s.school_id, s.school_class_id, m.mo
"""  # noqa: S608 (table names and constants only)

# Referrals made in the month; first hospital visits in the month and the whole days they took.
SQL_REFERRALS = f"""
SELECT s.school_id, s.school_class_id, m.mo,
  SUM(CASE WHEN r.referred_at >= m.t0 AND r.referred_at < m.t1 THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.first_visit_at >= m.t0 AND r.first_visit_at < m.t1 THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.first_visit_at >= m.t0 AND r.first_visit_at < m.t1
      THEN {_whole_days("r.referred_at", "r.first_visit_at")} ELSE 0 END)
FROM {T["referral"]} r JOIN {T["student"]} s ON s.id = r.student_id
JOIN m ON (r.referred_at >= m.t0 AND r.referred_at < m.t1) OR (r.first_visit_at >= m.t0 AND r.first_visit_at < m.t1)
WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL
GROUP BY s.school_id, s.school_class_id, m.mo
"""  # noqa: S608 (table names and constants only)

SQL_HOME_VISITS = f"""
SELECT s.school_id, s.school_class_id, m.mo, COUNT(*)
FROM {T["contact"]} v JOIN {T["student"]} s ON s.id = v.student_id
JOIN m ON v.done_on >= m.mo AND v.done_on < m.nxt
WHERE s.school_id IN (SCHOOLS) AND s.school_class_id IS NOT NULL AND v.kind = 'home_visit' AND v.status = 'done'
  AND v.done_on >= (SELECT mo FROM lim)
GROUP BY s.school_id, s.school_class_id, m.mo
"""  # noqa: S608 (table names and constants only)

# Incident reviews count at the school holding the review (no class: an incident is not a class figure).
SQL_INCIDENTS = f"""
SELECT i.school_id, m.mo, COUNT(*) FROM {T["incident"]} i JOIN m ON i.incident_on >= m.mo AND i.incident_on < m.nxt
WHERE i.school_id IN (SCHOOLS) GROUP BY i.school_id, m.mo
"""  # noqa: S608 (table names and constants only)


def _month(value) -> date:
    """A month as the database returns it (a date, or text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


Figures = dict[tuple[int, date, str], int]  # (unit id, month, measure) → value


def compute_school(school_id: int, wins: list[Window], *, levels: dict[int, str] | None = None,
                   now: datetime | None = None) -> Figures:
    """Every figure of the school, its grades and its classes for the months of `wins`, from the base tables,
    zeros left out: ten grouped queries, whatever the number of students."""
    return compute_schools([school_id], wins, levels=levels, now=now)[school_id]


def compute_schools(school_ids: list[int], wins: list[Window], *, levels: dict[int, str] | None = None,
                    now: datetime | None = None) -> dict[int, Figures]:
    """compute_school for several schools with the same ten queries (fewer round trips in a big pass)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A school's queries read its few thousand rows by index. The planner, guessing from the sizes of the
            # whole tables, would now and then scan a table of millions instead, start parallel workers or compile
            # the query (JIT): each costs more than the schools' whole read.
            with connection.cursor() as cursor:
                for setting in ("enable_seqscan = off", "max_parallel_workers_per_gather = 0", "jit = off"):
                    cursor.execute(f"SET LOCAL {setting}")
        return _compute(list(school_ids), wins, levels=level_codes() if levels is None else levels,
                        now=now or timezone.now())


def _compute(school_ids: list[int], wins: list[Window], *, levels: dict[int, str], now: datetime) -> dict[int, Figures]:
    found: dict[int, Figures] = {school: {} for school in school_ids}
    if not wins or not school_ids:
        return found
    cte, cte_params = _months_cte(wins)
    marks = ", ".join(["%s"] * len(school_ids))
    by_class: dict[tuple[int, int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def rows(sql: str, *params, months: bool = True) -> list[tuple]:
        sql = sql.strip().replace("SCHOOLS", marks)
        if months:  # the months join the query's own common table expressions, if it has any
            sql = f"WITH {cte}, {sql[5:]}" if sql.startswith("WITH ") else f"WITH {cte} {sql}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*(cte_params if months else ()), *params])
            return cursor.fetchall()

    def add(school, cls, month, values: dict[str, int]) -> None:
        figures = by_class[(school, cls, _month(month))]
        for measure, value in values.items():
            figures[measure] += int(value or 0)

    for school, cls, mo, students, key, covered, key_covered in rows(SQL_STUDENTS, *school_ids):
        add(school, cls, mo, {"students": students, "visits.key_students": key, "visits.covered": covered,
                              "visits.key_covered": key_covered})
    for school, cls, mo, total, none, moderate, high, critical, invalid in rows(SQL_RESULTS, *school_ids):
        add(school, cls, mo, {"screening.results": total, "screening.results.none": none,
                              "screening.results.moderate": moderate, "screening.results.high": high,
                              "screening.results.unbanded": total - none - moderate - high,
                              "screening.results.critical": critical, "screening.results.invalid": invalid})
    for school, cls, mo, covered in rows(SQL_COVERED, *school_ids):
        add(school, cls, mo, {"screening.covered": covered})
    for school, cls, mo, level_id, count in rows(SQL_NEW, *school_ids):
        add(school, cls, mo, {"warnings.new": count, f"warnings.new.{levels[level_id]}": count})
    for school, cls, mo, cleared, escalated in rows(SQL_STEPS, *school_ids):
        add(school, cls, mo, {"warnings.cleared": cleared, "warnings.escalated": escalated})
    if any(not w.running for w in wins):
        for school, cls, mo, level_id, count in rows(SQL_CURRENT_PAST, *school_ids, *_CURRENT_PARAMS):
            add(school, cls, mo, {"warnings.current": count, f"warnings.current.{levels[level_id]}": count})
    running = [w for w in wins if w.running]
    if running:
        for school, cls, level_id, count, overdue in rows(SQL_CURRENT_NOW, _param(now), *school_ids,
                                                          *_CURRENT_PARAMS, months=False):
            add(school, cls, running[0].month, {"warnings.current": count, "warnings.overdue": overdue,
                                                f"warnings.current.{levels[level_id]}": count})
    for school, cls, mo, due, done, overdue in rows(SQL_FOLLOW_UPS, *school_ids):
        add(school, cls, mo, {"followups.due": due, "followups.done": done, "followups.overdue": overdue})
    for school, cls, mo, new, first, days in rows(SQL_REFERRALS, *school_ids):
        add(school, cls, mo, {"referrals.new": new, "referrals.first_visit": first,
                              "referrals.days_to_first_visit": days})
    for school, cls, mo, visits in rows(SQL_HOME_VISITS, *school_ids):
        add(school, cls, mo, {"visits.home": visits})

    classes = {cls: (grade, school) for cls, grade, school in OrgUnit.objects.filter(
        pk__in={cls for _school, cls, _m in by_class}, kind=OrgUnit.Kind.CLASS).values_list("id", "parent_id",
                                                                                            "school_id")}
    sums: dict[int, Figures] = {school: defaultdict(int) for school in school_ids}
    for (school, cls, month), values in by_class.items():
        grade, class_school = classes.get(cls, (None, None))
        if class_school != school:  # a class of another school (placement columns out of step): counted there
            continue
        for measure, value in values.items():
            if value:
                for unit in (cls, grade, school):
                    sums[school][(unit, month, measure)] += value
    for school, mo, count in rows(SQL_INCIDENTS, *school_ids):
        sums[school][(school, _month(mo), "incidents.new")] += count
    for school, figures in sums.items():
        found[school] = {key: value for key, value in figures.items() if value}
    return found


def level_codes() -> dict[int, str]:
    return dict(WarningLevel.objects.values_list("id", "code"))


# ------------------------------------------------------------------------------------------------- writing

class Changes(dict):
    """month → whether a figure that may be hidden changed in it (a month where only figures that are never
    suppressed changed needs its roll-up, not a new suppression decision)."""

    def add(self, month: date, hideable: bool) -> None:
        self[month] = self.get(month, False) or hideable

    def merge(self, other: Changes) -> Changes:
        for month, hideable in other.items():
            self.add(month, hideable)
        return self

    def to_suppress(self) -> set[date]:
        return {month for month, hideable in self.items() if hideable}


def _write(units: Q, months: list[date], figures: Figures) -> Changes:
    """Make the stored figures of `units` for `months` equal `figures` (zeros are not stored); returns where
    they changed. A changed figure that may be hidden is written hidden (suppressed) until the suppression pass
    decides, so no page shows a small count in between."""
    changes = Changes()
    if not months:
        return changes
    wanted = set(months)
    stored = {(unit, month, measure): (pk, value) for pk, unit, month, measure, value in
              UnitFigure.objects.filter(units, month__gte=min(months), month__lte=max(months))
              .values_list("id", "unit_id", "month", "measure", "value") if month in wanted}
    gone = [pk for key, (pk, _value) in stored.items() if key not in figures]
    changed = [(key, value) for key, value in figures.items() if stored.get(key, (None, None))[1] != value]
    if gone:
        UnitFigure.objects.filter(pk__in=gone).delete()
    if changed:
        _upsert(changed)
    for key in [*(key for key in stored if key not in figures), *(key for key, _value in changed)]:
        changes.add(key[1], key[2] not in NEVER_SUPPRESSED)
    return changes


def _upsert(rows: list[tuple[tuple[int, date, str], int]]) -> None:
    """Insert or update figures, hidden unless never suppressed: on PostgreSQL one statement over arrays (a
    rebuild writes millions)."""
    hidden = [key[2] not in NEVER_SUPPRESSED for key, _value in rows]
    if connection.vendor != "postgresql":
        UnitFigure.objects.bulk_create(
            [UnitFigure(unit_id=unit, month=month, measure=measure, value=value, suppressed=hide)
             for ((unit, month, measure), value), hide in zip(rows, hidden, strict=True)],
            batch_size=2000, update_conflicts=True, unique_fields=["unit", "month", "measure"],
            update_fields=["value", "suppressed"])
        return
    table = UnitFigure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (unit_id, month, measure, value, suppressed) "  # noqa: S608 (own table name)
            "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::bigint[], %s::boolean[]) "
            "ON CONFLICT (unit_id, month, measure) DO UPDATE SET value = EXCLUDED.value, suppressed = EXCLUDED.suppressed",
            [[key[0] for key, _v in rows], [key[1] for key, _v in rows], [key[2] for key, _v in rows],
             [value for _key, value in rows], hidden])


def write_school(school_id: int, wins: list[Window], figures: Figures) -> Changes:
    """Store a school's figures (compute_school) for the months of `wins`, in one transaction."""
    units = [school_id, *OrgUnit.objects.filter(school_id=school_id).values_list("id", flat=True)]
    with transaction.atomic():
        return _write(Q(unit_id__in=units), [w.month for w in wins], figures)


def rollup(months: Iterable[date]) -> Changes:
    """Districts and cities as the sums of their schools (stocks included) for `months`; returns where they
    changed."""
    cities = dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT).values_list("id", "parent_id"))
    changes = Changes()
    for month in sorted(set(months)):
        figures: Figures = defaultdict(int)
        for district, measure, value in (
                UnitFigure.objects.filter(month=month, unit__kind=OrgUnit.Kind.SCHOOL)
                .values("unit__parent_id", "measure").annotate(total=Sum("value")).order_by()
                .values_list("unit__parent_id", "measure", "total")):
            if district in cities and cities[district] is not None and value:
                figures[(district, month, measure)] += value
                figures[(cities[district], month, measure)] += value
        with transaction.atomic():
            changes.merge(_write(Q(unit__kind__in=[OrgUnit.Kind.DISTRICT, OrgUnit.Kind.CITY]), [month], figures))
    return changes


# ---------------------------------------------------------------------------------------------- suppression

class _Candidates:
    """Every (unit, measure) key but those of measures that are never suppressed."""

    def __contains__(self, key) -> bool:
        return key[1] not in NEVER_SUPPRESSED


def _unit_of(key: tuple[int, str]) -> int:
    return key[0]


def decide(values: dict[tuple[int, str], int], parents: dict[int, int | None],
           codes: Iterable[str]) -> frozenset[tuple[int, str]]:
    """The figures of one month to hide, over the whole tree: `values` maps (unit id, measure) to the stored
    value, `parents` each unit to its parent, `codes` the warning levels' codes. Lines: every parent with its
    children per measure, and per unit each breakdown (new and current warnings by level, results by band). The
    days to first visits are hidden wherever their count is, then protected along the tree the same way."""
    parts = breakdowns(codes)
    # In key order, so the decision is the same whatever order the figures were read in.
    keys = sorted(values)
    children: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for unit, measure in keys:
        parent = parents.get(unit)
        if parent is not None and measure not in NEVER_SUPPRESSED:
            children[(parent, measure)].append((unit, measure))
    lines = [[total, *members] for total, members in sorted(children.items())]
    for unit in dict.fromkeys(unit for unit, _m in keys):
        for total, members in parts.items():
            if (unit, total) in values:
                lines.append([(unit, total), *((unit, m) for m in members)])
    following = set(FOLLOWS)
    first = [line for line in lines if line[0][1] not in following]
    # owner: whoever knows one unit exactly (its care team) must not read a neighbour's figure by subtracting
    # their own from the parent's (a district centre from the city's total).
    hidden = suppress({k: v for k, v in values.items() if k[1] not in following}, first, candidates=_Candidates(),
                      owner=_unit_of)
    for measure, count in FOLLOWS.items():
        own = {k: v for k, v in values.items() if k[1] == measure}
        given = [(unit, measure) for unit, m in hidden if m == count and (unit, measure) in own]
        hidden |= suppress(own, [line for line in lines if line[0][1] == measure], given=given, owner=_unit_of)
    return frozenset(hidden)


def tree_parents() -> dict[int, int | None]:
    """Each unit of the region tree (city … class) and its parent."""
    return dict(OrgUnit.objects.filter(kind__in=TREE_KINDS).values_list("id", "parent_id"))


def suppress_month(month: date, *, parents: dict[int, int | None] | None = None,
                   codes: Iterable[str] | None = None) -> int:
    """Decide `suppressed` for every figure of `month` (decide()) and store it; returns how many flags changed."""
    parents = tree_parents() if parents is None else parents
    codes = list(level_codes().values()) if codes is None else list(codes)
    rows = list(UnitFigure.objects.filter(month=month).order_by("unit_id", "measure")
                .values_list("id", "unit_id", "measure", "value", "suppressed"))
    hidden = decide({(unit, measure): value for _pk, unit, measure, value, _s in rows}, parents, codes)
    flip_on = [pk for pk, unit, measure, _v, was in rows if not was and (unit, measure) in hidden]
    flip_off = [pk for pk, unit, measure, _v, was in rows if was and (unit, measure) not in hidden]
    with transaction.atomic():
        for flag, ids in ((True, flip_on), (False, flip_off)):
            for start in range(0, len(ids), 10000):
                UnitFigure.objects.filter(pk__in=ids[start:start + 10000]).update(suppressed=flag)
    return len(flip_on) + len(flip_off)


# ------------------------------------------------------------------------------------------------- upkeep

def recompute_schools(school_ids: Iterable[int], months: Iterable[date], *, now: datetime | None = None,
                      suppress_months: Iterable[date] = (), progress=None) -> set[date]:
    """Recompute every figure of these schools (their classes, grades and themselves) for `months` from the
    base tables, one transaction per school; then add districts and cities up and decide suppression over
    the whole tree for every month in which a figure that may be hidden changed (and for `suppress_months`).
    Returns the months that changed. `progress(done)` is called after each school."""
    now = now or timezone.now()
    wins = windows(months, now=now)
    levels = level_codes()
    changes = write_schools(sorted(set(school_ids)), wins, levels=levels, now=now, progress=progress)
    finish(changes, suppress_months=suppress_months, levels=levels)
    return set(changes)


def write_schools(school_ids: list[int], wins: list[Window], *, levels: dict[int, str], now: datetime,
                  progress=None) -> Changes:
    """Compute the schools in batches (a few months for many schools, or many months for a few: about the same
    rows per query) and store each school's figures in its own transaction."""
    changes = Changes()
    batch = max(1, min(100, 400 // max(1, len(wins))))
    done = 0
    for start in range(0, len(school_ids), batch):
        part = school_ids[start:start + batch]
        for school_id, figures in compute_schools(part, wins, levels=levels, now=now).items():
            changes.merge(write_school(school_id, wins, figures))
            done += 1
            if progress is not None:
                progress(done)
    return changes


def finish(changes: Changes, *, suppress_months: Iterable[date] = (), levels: dict[int, str] | None = None) -> None:
    """After schools were written: the roll-up for the months that changed, and the suppression decision for
    those where a figure that may be hidden changed (and for `suppress_months`)."""
    levels = level_codes() if levels is None else levels
    months = changes.merge(rollup(changes)).to_suppress() | set(suppress_months)
    if not months:
        return
    parents = tree_parents()
    for month in sorted(months):
        suppress_month(month, parents=parents, codes=list(levels.values()))


def forget_other_months(months: Iterable[date]) -> int:
    """Remove the figures of every month not in `months` (a rebuild's range); returns how many."""
    return UnitFigure.objects.exclude(month__in=list(months)).delete()[0]


def first_stored_month() -> date | None:
    return UnitFigure.objects.order_by("month").values_list("month", flat=True).first()


def analyze() -> None:
    """Fresh planner statistics for the figures (PostgreSQL), while a rebuild fills the table from nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {UnitFigure._meta.db_table}")


def school_ids() -> list[int]:
    return list(OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).order_by("id").values_list("id", flat=True))

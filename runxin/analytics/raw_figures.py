"""The figures of one unit and one month computed straight from the base tables, without UnitFigure: the
independent check of the stored figures (the tests and bench/dashboards.py compare the two).

One raw SQL aggregate per group of measures over every class under the unit (OrgUnit.path), written apart
from facts.py's queries on purpose (other joins, correlated subqueries instead of window functions, DISTINCT
ON instead of LEAD), so a mistake in one is not repeated in the other. The meaning is facts.py's (see its
docstring): the same attribution, the same stocks at the month's end or now. PostgreSQL only.
"""

# ruff: noqa: S608 — the queries are built from this module's constants only; values go in as parameters.
from __future__ import annotations

from datetime import date, datetime, time

from django.db import connection
from django.utils import timezone

from runxin.alerts import states
from runxin.org.models import OrgUnit

from . import facts

_CLASSES = "SELECT id FROM org_orgunit WHERE kind = 'class' AND path LIKE %(path)s"
_ORDER = sorted(states.RANK, key=states.RANK.get)  # tiers from the class up to the city

_SQL = {
    "students": f"""
        SELECT COUNT(*) FILTER (WHERE enrolled), COUNT(*) FILTER (WHERE enrolled AND key_student),
               COUNT(*) FILTER (WHERE enrolled AND visited), COUNT(*) FILTER (WHERE enrolled AND key_student AND visited)
        FROM (SELECT
                CASE WHEN %(running)s THEN s.status = 'enrolled' ELSE EXISTS (
                  SELECT 1 FROM people_enrollment e WHERE e.student_id = s.id AND e.started_on <= %(day)s
                    AND coalesce(e.ended_on, 'infinity'::date) > %(day)s) END AS enrolled,
                CASE WHEN %(running)s THEN s.is_key_student ELSE EXISTS (
                  SELECT 1 FROM people_keystudentmark k WHERE k.student_id = s.id AND k.marked_on <= %(day)s
                    AND coalesce(k.ended_on, 'infinity'::date) > %(day)s) END AS key_student,
                EXISTS (SELECT 1 FROM visits_familycontact v WHERE v.student_id = s.id AND v.kind = 'home_visit'
                        AND v.status = 'done' AND v.done_on BETWEEN %(year_start)s AND %(day)s) AS visited
              FROM people_student s WHERE s.school_class_id IN ({_CLASSES})) x""",
    "results": f"""
        SELECT COUNT(*), COUNT(*) FILTER (WHERE r.band_level = 'none'), COUNT(*) FILTER (WHERE r.band_level = 'moderate'),
               COUNT(*) FILTER (WHERE r.band_level = 'high'), COUNT(*) FILTER (WHERE r.critical),
               COUNT(*) FILTER (WHERE r.validity <> 'valid')
        FROM screening_result r JOIN screening_campaigntarget t ON t.id = r.target_id
        WHERE t.school_class_id IN ({_CLASSES}) AND r.scored_at >= %(starts)s AND r.scored_at < %(ends)s""",
    "covered": f"""
        SELECT COUNT(*) FROM (
          SELECT DISTINCT ON (t.student_id) t.school_class_id FROM screening_campaigntarget t
          WHERE t.finished_at >= %(year_start_at)s AND t.finished_at < %(stock_at)s
          ORDER BY t.student_id, t.finished_at DESC, t.id DESC) latest
        WHERE latest.school_class_id IN ({_CLASSES})""",
    "new": f"""
        SELECT l.code, COUNT(*) FROM alerts_warning w JOIN alerts_warninglevel l ON l.id = w.level_id
        JOIN people_student s ON s.id = w.student_id
        WHERE s.school_class_id IN ({_CLASSES}) AND w.state <> 'dismissed'
          AND w.raised_at >= %(starts)s AND w.raised_at < %(ends)s
        GROUP BY l.code""",
    "steps": f"""
        SELECT COUNT(DISTINCT e.warning_id) FILTER (WHERE e.kind = 'clear_approved'),
               COUNT(DISTINCT e.warning_id) FILTER (
                 WHERE array_position(%(order)s::int[], e.to_tier) > array_position(%(order)s::int[], e.from_tier))
        FROM alerts_warningevent e JOIN alerts_warning w ON w.id = e.warning_id
        JOIN people_student s ON s.id = w.student_id
        WHERE s.school_class_id IN ({_CLASSES}) AND e.at >= %(starts)s AND e.at < %(ends)s""",
    "current_past": f"""
        SELECT l.code, COUNT(DISTINCT x.student_id) FROM (
          SELECT w.student_id,
            (SELECT e.to_state FROM alerts_warningevent e WHERE e.warning_id = w.id AND e.at < %(stock_at)s
               AND e.to_state <> '' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS state_then,
            coalesce((SELECT e.to_level_id FROM alerts_warningevent e WHERE e.warning_id = w.id
               AND e.at < %(stock_at)s AND e.to_level_id IS NOT NULL ORDER BY e.at DESC, e.id DESC LIMIT 1),
               w.level_id) AS level_then
          FROM alerts_warning w JOIN people_student s ON s.id = w.student_id
          WHERE s.school_class_id IN ({_CLASSES})) x
        JOIN alerts_warninglevel l ON l.id = x.level_then
        WHERE x.state_then = ANY(%(current)s) GROUP BY l.code""",
    "current_now": f"""
        SELECT l.code, COUNT(DISTINCT w.student_id), COUNT(DISTINCT w.student_id) FILTER (WHERE w.due_at <= %(now)s)
        FROM alerts_warning w JOIN alerts_warninglevel l ON l.id = w.level_id
        JOIN people_student s ON s.id = w.student_id
        WHERE s.school_class_id IN ({_CLASSES}) AND w.state = ANY(%(current)s) GROUP BY l.code""",
    "follow_ups": f"""
        SELECT COUNT(*) FILTER (WHERE f.due_on >= %(month)s AND f.due_on < %(following)s),
               COUNT(*) FILTER (WHERE f.done_at >= %(starts)s AND f.done_at < %(ends)s),
               COUNT(*) FILTER (WHERE %(running)s AND f.done_at IS NULL AND f.due_on < %(day)s)
        FROM alerts_followup f JOIN people_student s ON s.id = f.student_id
        WHERE s.school_class_id IN ({_CLASSES})""",
    "referrals": f"""
        SELECT COUNT(*) FILTER (WHERE r.referred_at >= %(starts)s AND r.referred_at < %(ends)s),
               COUNT(*) FILTER (WHERE r.first_visit_at >= %(starts)s AND r.first_visit_at < %(ends)s),
               coalesce(SUM(greatest(0, extract(day FROM r.first_visit_at - r.referred_at)))
                        FILTER (WHERE r.first_visit_at >= %(starts)s AND r.first_visit_at < %(ends)s), 0)
        FROM referrals_referral r JOIN people_student s ON s.id = r.student_id
        WHERE s.school_class_id IN ({_CLASSES})""",
    "home_visits": f"""
        SELECT COUNT(*) FROM visits_familycontact v JOIN people_student s ON s.id = v.student_id
        WHERE s.school_class_id IN ({_CLASSES}) AND v.kind = 'home_visit' AND v.status = 'done'
          AND v.done_on >= %(month)s AND v.done_on < %(following)s""",
    "incidents": """
        SELECT COUNT(*) FROM cases_incidentreview i
        WHERE i.school_id IN (SELECT id FROM org_orgunit WHERE kind = 'school' AND path LIKE %(path)s)
          AND i.incident_on >= %(month)s AND i.incident_on < %(following)s""",
}


def figures(unit: OrgUnit, month: date, *, now: datetime | None = None) -> dict[str, int]:
    """Every measure of `unit` in `month` (a first day, up to the running month), zeros included."""
    now = now or timezone.now()
    window = facts.windows([month], now=now)[0]
    params = {
        "path": unit.path + "%", "month": window.month, "following": window.following, "starts": window.starts,
        "ends": window.ends, "stock_at": window.stock_at, "day": window.stock_day, "year_start": window.year_start,
        "year_start_at": datetime.combine(window.year_start, time.min, tzinfo=timezone.get_current_timezone()),
        "running": window.running, "now": now, "order": _ORDER, "current": sorted(states.CURRENT),
    }
    found = {measure.code: 0 for measure in facts.measures()}

    def one(name: str) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(_SQL[name], params)
            return cursor.fetchone()

    def grouped(name: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(_SQL[name], params)
            return cursor.fetchall()

    (found["students"], found["visits.key_students"], found["visits.covered"],
     found["visits.key_covered"]) = one("students")
    total, none, moderate, high, critical, invalid = one("results")
    found.update({"screening.results": total, "screening.results.none": none,
                  "screening.results.moderate": moderate, "screening.results.high": high,
                  "screening.results.unbanded": total - none - moderate - high,
                  "screening.results.critical": critical, "screening.results.invalid": invalid})
    (found["screening.covered"],) = one("covered")
    for code, count in grouped("new"):
        found[f"warnings.new.{code}"] = count
        found["warnings.new"] += count
    found["warnings.cleared"], found["warnings.escalated"] = one("steps")
    if window.running:
        for code, count, overdue in grouped("current_now"):
            found[f"warnings.current.{code}"] = count
            found["warnings.current"] += count
            found["warnings.overdue"] += overdue
    else:
        for code, count in grouped("current_past"):
            found[f"warnings.current.{code}"] = count
            found["warnings.current"] += count
    found["followups.due"], found["followups.done"], found["followups.overdue"] = one("follow_ups")
    new, first, days = one("referrals")
    found.update({"referrals.new": new, "referrals.first_visit": first, "referrals.days_to_first_visit": int(days)})
    (found["visits.home"],) = one("home_visits")
    (found["incidents.new"],) = one("incidents")
    return {code: int(value) for code, value in found.items()}

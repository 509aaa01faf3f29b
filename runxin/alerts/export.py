"""The export for the provincial crisis platform (省中小学心理危机动态管理平台). One record per warning; the
format is documented in docs/provincial-export.md and versioned there. Codes, not labels, so the platform
can map them; times in ISO 8601 with the +08:00 offset.

What is never exported: who reported a concern. A peer report's reporter (班级心理委员) is a classmate who was
promised that nobody would learn who spoke; no field carries a reporter, a report's text, an assessment or a
note. Dismissed warnings are exported (an earlier upload may hold them as current) and marked `dismissed`, so
the platform leaves them out of its figures.

Every export holds only what its requester may open: the warnings in their export reach
(`selectors_reports.export_rows`) that are also among the warnings they can open (`selectors.warnings_visible`),
so a district centre's file never lists a yellow warning still being handled at a school. The file itself is
written by the one export writer (runxin/exports/writer.py): formula-safe cells, the requester's line first,
an audit.Export row."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors, selectors_reports, states
from .models import Warning

# (field, meaning) in the order of the CSV columns. Keep in step with docs/provincial-export.md.
FIELDS = [
    ("warning_id", _("runxin's number for the warning; stable")),
    ("student_number", _("national student number (学籍号)")),
    ("student_name", _("student's name")),
    ("sex", _("M or F")),
    ("birth_date", _("YYYY-MM-DD")),
    ("school_code", _("school code (学校代码) in the region tree")),
    ("school_name", _("school name")),
    ("district_code", _("district/county code")),
    ("district_name", _("district/county name")),
    ("level_code", _("warning level code (red, orange, yellow or a regional one)")),
    ("level_name", _("warning level name (Chinese)")),
    ("level_severity", _("number; higher is more severe")),
    ("state", _("workflow state code")),
    ("status", _("provincial status: current, cleared, closed or dismissed")),
    ("tier", _("where in the network it sits: class, grade, school, district, city")),
    ("source", _("first source code")),
    ("raised_at", _("when it was raised")),
    ("acknowledged_at", _("first acknowledgement")),
    ("assessed_at", _("psychology teacher's assessment")),
    ("intervention_at", _("intervention started")),
    ("escalated_at", _("last escalation on the timer, if any")),
    ("escalation_count", _("how many times it escalated")),
    ("cleared_at", _("cleared (解除), if cleared")),
    ("closed_at", _("back to normal after continued attention")),
    ("dismissed_at", _("dismissed by the assessment")),
    ("revisited", _("true when at least one follow-up visit (回访) was recorded")),
    ("revisited_at", _("first follow-up visit")),
    ("referred", _("true when a referral (转介) was recorded")),
    ("referred_at", _("first referral")),
    ("reopen_count", _("how many times it was reopened")),
    ("updated_at", _("last change of any kind")),
    ("dismissed", _("true when the assessment found no risk: leave the row out of every figure")),
]

# Nothing about who reported: these names must never become fields (a peer reporter is a classmate).
NEVER_EXPORTED = frozenset({"reported_by", "reporter", "reporter_name", "raised_by", "summary", "reports"})

TIER_CODES = {states.CLASS: "class", states.GRADE: "grade", states.SCHOOL: "school", states.DISTRICT: "district",
              states.CITY: "city"}


def provincial_rows(user, *, since: datetime | None = None, until: datetime | None = None) -> QuerySet[Warning]:
    """The warnings this user exports: their export reach, narrowed to the warnings they can open."""
    return selectors_reports.export_rows(user, since=since, until=until).filter(
        pk__in=selectors.warnings_visible(user).values("pk"))


def csv_row(record: dict) -> list:
    """One CSV line's values in FIELDS order; no value is an empty cell."""
    return ["" if record[name] is None else record[name] for name, _doc in FIELDS]


def provincial_status(state: str) -> str:
    if state in states.CURRENT:
        return "current"
    return {states.CLEARED: "cleared", states.CLOSED: "closed", states.DISMISSED: "dismissed"}[state]


def _time(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def export_record(w: Warning) -> dict:
    student = w.student
    return {
        "warning_id": w.pk,
        "student_number": student.student_number,
        "student_name": student.name,
        "sex": student.sex,
        "birth_date": student.birth_date.isoformat() if student.birth_date else None,
        "school_code": student.school.code if student.school else None,
        "school_name": student.school.name if student.school else None,
        "district_code": student.district.code if student.district else None,
        "district_name": student.district.name if student.district else None,
        "level_code": w.level.code,
        "level_name": w.level.name_zh,
        "level_severity": w.level.severity,
        "state": w.state,
        "status": provincial_status(w.state),
        "tier": TIER_CODES[w.tier],
        "source": w.source,
        "raised_at": _time(w.raised_at),
        "acknowledged_at": _time(w.acknowledged_at),
        "assessed_at": _time(w.assessed_at),
        "intervention_at": _time(w.intervention_at),
        "escalated_at": _time(w.escalated_at),
        "escalation_count": w.escalation_count,
        "cleared_at": _time(w.cleared_at),
        "closed_at": _time(w.closed_at),
        "dismissed_at": _time(w.dismissed_at),
        "revisited": w.revisited_at is not None,
        "revisited_at": _time(w.revisited_at),
        "referred": w.referred_at is not None,
        "referred_at": _time(w.referred_at),
        "reopen_count": w.reopen_count,
        "updated_at": _time(w.last_event_at),
        "dismissed": w.state == states.DISMISSED,
    }

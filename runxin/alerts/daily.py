"""The daily key-case report (一日一报): each morning, per school, district and city, the warnings that are new,
escalated, overdue and cleared in the past 24 hours, and every open key case (在管重点个案) whatever its date.
Built for every unit at once from one set-based query, then shown as a page, a PDF, and sent by e-mail
(recorded as notifications) to the people responsible.

The window is the 24 hours before 07:00 (Asia/Shanghai) on the report's day; "overdue" is as of the window's end;
the open key cases are the warnings raised before the window's end that are open now (not closed or dismissed).
A school's report lists all of its warnings; a district's lists those the district centre sees (escalated to
the district or above, or of a level visible to centres), a city's those the city centre sees (escalated to the
city, or of a level visible to centres). Every headline count is the length of the list below it; a district's
and a city's report add a table counting every warning by school or district, with its own total row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.notify import services as notify
from runxin.org.models import OrgUnit
from runxin.people.models import RoleAssignment

from . import clock, states
from .models import DailyReport, ScheduledJob, Warning, WarningLevel

REPORT_HOUR = 7
CATEGORIES = ("new", "escalated", "overdue", "cleared")  # what happened in the 24 hours
OPEN_CASES = "open"  # 在管重点个案: every warning still open, whatever its date
SECTIONS = (*CATEGORIES, OPEN_CASES)


def report_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def window(day: date) -> tuple[datetime, datetime]:
    end = datetime.combine(day, time(REPORT_HOUR), tzinfo=report_zone())
    return end - timedelta(days=1), end


def report_day(now: datetime) -> date:
    """The report that is due at `now`: today's once it is past 07:00, otherwise yesterday's."""
    local = now.astimezone(report_zone())
    return local.date() if local.hour >= REPORT_HOUR else local.date() - timedelta(days=1)


@dataclass
class Row:
    id: int
    student_id: int
    student_name: str
    class_name: str
    school_name: str
    school_id: int | None
    district_id: int | None
    city_id: int | None
    level_id: int
    state: str
    tier: int
    raised_at: datetime
    due_at: datetime | None
    escalated_at: datetime | None
    cleared_at: datetime | None
    severity: int = 0
    visible_to_district: bool = False
    visible_to_city: bool = False
    days_open: int = 0


# The report of a district or a city lists what its centre sees, and counts every warning by child unit.
CHILD_KIND = {OrgUnit.Kind.DISTRICT: OrgUnit.Kind.SCHOOL, OrgUnit.Kind.CITY: OrgUnit.Kind.DISTRICT}


@dataclass
class Report:
    """One unit's report. Every figure shown is derived from these lists: a headline is len() of its section,
    and the per-unit table's total row is the sum of its rows."""

    unit: OrgUnit
    day: date
    start: datetime
    end: datetime
    sections: dict[str, list[Row]] = field(default_factory=lambda: {c: [] for c in SECTIONS})
    by_unit: dict[int | None, dict[str, int]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(rows) for c, rows in self.sections.items()}

    @property
    def child_kind(self) -> str | None:
        return CHILD_KIND.get(self.unit.kind)

    @property
    def by_school(self) -> dict[int | None, dict[str, int]]:
        """The per-unit counts of a district's report (by school); kept for older callers."""
        return self.by_unit

    @property
    def by_unit_total(self) -> dict[str, int]:
        return {c: sum(counts[c] for counts in self.by_unit.values()) for c in SECTIONS}

    def visible(self, row: Row) -> bool:
        """Whether the report's audience sees this warning: a school's staff see all of it; a district centre
        what reached the district or is of a level shown to centres; the city centre likewise at the city."""
        if self.unit.kind == OrgUnit.Kind.DISTRICT:
            return row.visible_to_district
        if self.unit.kind == OrgUnit.Kind.CITY:
            return row.visible_to_city
        return True


_COLUMN = {OrgUnit.Kind.SCHOOL: "student__school_id", OrgUnit.Kind.DISTRICT: "student__district_id",
           OrgUnit.Kind.CITY: "student__city_id"}


def _rows(units: list[OrgUnit], start: datetime, end: datetime, levels: dict[int, WarningLevel]) -> list[Row]:
    where = Q()
    for kind, column in _COLUMN.items():
        ids = [u.pk for u in units if u.kind == kind]
        if ids:
            where |= Q(**{f"{column}__in": ids})
    if not where:
        return []
    happened = (Q(raised_at__gte=start, raised_at__lt=end) | Q(escalated_at__gte=start, escalated_at__lt=end)
                | Q(cleared_at__gte=start, cleared_at__lt=end) | Q(due_at__lte=end, state__in=states.OPEN)
                | Q(state__in=states.OPEN, raised_at__lt=end))
    values = (
        Warning.objects.filter(where).filter(happened)
        .values_list("id", "student_id", "student__name", "student__school_class__name", "student__school__name",
                     "student__school_id", "student__district_id", "student__city_id", "level_id", "state", "tier",
                     "raised_at", "due_at", "escalated_at", "cleared_at")
        .order_by("id")
    )
    rows = []
    for v in values.iterator(chunk_size=5000):
        row = Row(*v)
        level = levels.get(row.level_id)
        shown = level is not None and level.visible_to_centres
        row.severity = level.severity if level is not None else 0
        row.visible_to_district = row.tier >= states.DISTRICT or shown
        row.visible_to_city = row.tier >= states.CITY or shown
        row.days_open = max(0, (end - row.raised_at).days)
        rows.append(row)
    return rows


def _categories(row: Row, start: datetime, end: datetime) -> list[str]:
    found = []
    if start <= row.raised_at < end:
        found.append("new")
    if row.escalated_at and start <= row.escalated_at < end:
        found.append("escalated")
    if row.due_at and row.due_at <= end and row.state in states.OPEN:
        found.append("overdue")
    if row.cleared_at and start <= row.cleared_at < end:
        found.append("cleared")
    if row.state in states.OPEN and row.raised_at < end:
        found.append(OPEN_CASES)
    return found


def open_case_order(row: Row) -> tuple:
    """Most severe level first, then the longest open."""
    return (-row.severity, row.raised_at, row.id)


def build(units: list[OrgUnit], day: date, levels: dict[int, WarningLevel] | None = None) -> dict[int, Report]:
    """The reports of `day` for these schools, districts and cities, from one query over the warnings."""
    start, end = window(day)
    levels = levels if levels is not None else levels_by_id()
    reports = {u.pk: Report(unit=u, day=day, start=start, end=end) for u in units}
    for row in _rows(units, start, end, levels):
        found = _categories(row, start, end)
        if not found:
            continue
        for report, child in ((reports.get(row.school_id), None), (reports.get(row.district_id), row.school_id),
                              (reports.get(row.city_id), row.district_id)):
            if report is None:
                continue
            if report.child_kind:
                counts = report.by_unit.setdefault(child, dict.fromkeys(SECTIONS, 0))
                for category in found:
                    counts[category] += 1
            if report.visible(row):
                for category in found:
                    report.sections[category].append(row)
    for report in reports.values():
        report.sections[OPEN_CASES].sort(key=open_case_order)
    return reports


def build_one(unit: OrgUnit, day: date) -> Report:
    return build([unit], day)[unit.pk]


# --------------------------------------------------------------------------------------------- rendering

def levels_by_id() -> dict[int, WarningLevel]:
    return {lv.pk: lv for lv in WarningLevel.objects.all()}


EMAIL_OPEN_LIMIT = 200  # an e-mail lists the most severe open cases; the page and the PDF list them all


def section_label(category: str) -> str:
    return {"new": _("New"), "escalated": _("Escalated"), "overdue": _("Overdue"), "cleared": _("Cleared"),
            OPEN_CASES: _("Open key cases (在管重点个案)")}[category]


_section_label = section_label  # older name


def scope_note(report: Report) -> str:
    """What the lists of a district's or city's report hold (a school's lists hold all of its warnings)."""
    if report.unit.kind == OrgUnit.Kind.DISTRICT:
        return _("Listed: the warnings the district centre handles (escalated to the district or the city, or of "
                 "a level shown to centres at once).")
    if report.unit.kind == OrgUnit.Kind.CITY:
        return _("Listed: the warnings the city centre handles (escalated to the city, or of a level shown to "
                 "centres at once).")
    return _("Listed: every warning of the school's students.")


def by_unit_title(report: Report) -> str:
    if report.child_kind == OrgUnit.Kind.SCHOOL:
        return _("Every warning, by school (counts only; includes warnings the schools handle without the centre)")
    return _("Every warning, by district (counts only; includes warnings handled without the city centre)")


def by_unit_total_label(report: Report) -> str:
    return _("All schools") if report.child_kind == OrgUnit.Kind.SCHOOL else _("All districts")


def by_unit_rows(report: Report) -> list[tuple[str, dict[str, int]]]:
    """(name, counts) per child unit, by name; the total row is report.by_unit_total."""
    names = _child_names(report)
    return sorted(((names.get(uid, "—") if uid else "—", counts) for uid, counts in report.by_unit.items()),
                  key=lambda pair: pair[0])


def email_text(report: Report, levels: dict[int, WarningLevel], now: datetime) -> tuple[str, str]:
    """Subject and body of the e-mail. No student names: e-mail leaves the platform, so it lists warning
    numbers, levels, states, schools and classes and links to the page (and its PDF) behind sign-in. Each
    count is followed by exactly the rows it counts (an open-case list longer than EMAIL_OPEN_LIMIT says how
    many more are on the page)."""
    lang = settings.LANGUAGE_CODE
    with translation.override(lang):
        subject = _("Daily key-case report (一日一报) %(day)s · %(unit)s") % {
            "day": report.day.isoformat(), "unit": report.unit.name}
        sections = []
        for code in SECTIONS:
            rows = report.sections[code]
            shown = rows[:EMAIL_OPEN_LIMIT] if code == OPEN_CASES else rows
            sections.append((code, section_label(code), rows, shown, len(rows) - len(shown)))
        body = render_to_string("alerts/daily_email.txt", {
            "report": report, "levels": levels, "now": now, "lang": lang, "sections": sections,
            "scope_note": scope_note(report), "with_school": bool(report.child_kind),
            "by_unit": by_unit_rows(report) if report.child_kind else [],
            "by_unit_title": by_unit_title(report) if report.child_kind else "",
            "by_unit_total_label": by_unit_total_label(report) if report.child_kind else "",
            "section_codes": SECTIONS,
        })
    return subject, body


def _child_names(report: Report) -> dict[int, str]:
    if not report.by_unit:
        return {}
    return dict(OrgUnit.objects.filter(pk__in=[k for k in report.by_unit if k]).values_list("id", "name"))


_school_names = _child_names  # older name


def pdf(report: Report, levels: dict[int, WarningLevel], *, show_names: bool = True) -> bytes:
    """The report as a PDF, with the built-in CID font STSong-Light for Chinese (no font file needed).
    Without `show_names` (a viewer who may not see students' risk levels, e.g. a supervisor) a warning is
    named by its number only."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lang = translation.get_language() or settings.LANGUAGE_CODE
    title_style = ParagraphStyle("t", fontName="STSong-Light", fontSize=15, leading=20)
    text_style = ParagraphStyle("b", fontName="STSong-Light", fontSize=9, leading=12)
    head_style = ParagraphStyle("h", fontName="STSong-Light", fontSize=11, leading=15, spaceBefore=6)
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"一日一报 {report.unit.name} {report.day}")
    zone = report_zone()
    story = [
        Paragraph(_("Daily key-case report (一日一报)") + f" · {report.unit.name} · {report.day.isoformat()}",
                  title_style),
        Paragraph(_("From %(start)s to %(end)s") % {
            "start": report.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "end": report.end.astimezone(zone).strftime("%Y-%m-%d %H:%M")}, text_style),
        Paragraph(scope_note(report), text_style),
        Spacer(1, 4 * mm),
    ]
    counts = report.counts
    summary = Table([[section_label(c) for c in SECTIONS], [str(counts[c]) for c in SECTIONS]], hAlign="LEFT")
    summary.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 10),
                                 ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4"))]))
    story.append(summary)

    def stamp(value):
        return value.astimezone(zone).strftime("%m-%d %H:%M") if value else "—"

    columns = [(_("No."), 13, lambda r: f"#{r.id}")]
    if show_names:
        columns.append((_("Student"), 22, lambda r: r.student_name))
    if report.child_kind:
        columns.append((_("School"), 32, lambda r: r.school_name or "—"))
    columns += [(_("Class"), 24, lambda r: r.class_name or "—"),
                (_("Level"), 18, lambda r: levels[r.level_id].label(lang)),
                (_("State"), 28, lambda r: str(_state_label(r.state))),
                (_("Raised"), 20, lambda r: stamp(r.raised_at))]
    for category in SECTIONS:
        rows = report.sections[category]
        story.append(Paragraph(f"{section_label(category)} ({len(rows)})", head_style))
        if not rows:
            story.append(Paragraph(_("None."), text_style))
            continue
        last = (_("Days open"), 18, lambda r: str(r.days_open)) if category == OPEN_CASES else \
            (_("Due"), 20, lambda r: stamp(r.due_at))
        cols = [*columns, last]
        data = [[c[0] for c in cols]] + [[c[2](r) for c in cols] for r in rows]
        table = Table(data, repeatRows=1, hAlign="LEFT", colWidths=[c[1] * mm for c in cols])
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 8.5),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4"))]))
        story.append(table)
    if report.child_kind:
        story.append(Paragraph(by_unit_title(report), head_style))
        total = report.by_unit_total
        data = [[_("School") if report.child_kind == OrgUnit.Kind.SCHOOL else _("District")]
                + [section_label(c) for c in SECTIONS]]
        data += [[name] + [str(counts_[c]) for c in SECTIONS] for name, counts_ in by_unit_rows(report)]
        data.append([by_unit_total_label(report)] + [str(total[c]) for c in SECTIONS])
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 8.5),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
                                   ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#eef1f4"))]))
        story.append(table)
    doc.build(story)
    return buffer.getvalue()


def _state_label(state: str):
    from .models import STATE_LABELS

    return STATE_LABELS.get(state, state)


# ----------------------------------------------------------------------------------------------- sending

# Who receives a unit's report. At the city: the centre and the supervisor (督导); the city's report is a
# supervision tool (Suzhou's 一日一报). A supervisor's page and PDF show warning numbers, not names.
RECIPIENT_ROLES = {OrgUnit.Kind.SCHOOL: ("psych_teacher", "school_leader"), OrgUnit.Kind.DISTRICT: ("centre_staff",),
                   OrgUnit.Kind.CITY: ("centre_staff", "supervisor")}


def _recipients(units: list[OrgUnit], day: date) -> dict[int, list[int]]:
    today = day
    found: dict[int, list[int]] = defaultdict(list)
    rows = (RoleAssignment.objects.filter(is_active=True, org_unit_id__in=[u.pk for u in units])
            .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .values_list("org_unit_id", "org_unit__kind", "role", "user_id"))
    for unit_id, kind, role, user_id in rows:
        if role in RECIPIENT_ROLES.get(kind, ()):
            found[unit_id].append(user_id)
    return found


def report_units() -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(kind__in=list(_COLUMN), is_active=True).order_by("kind", "id"))


def send_daily_reports(*, day: date, now: datetime | None = None) -> dict[str, int]:
    """Build and send every school's, district's and city's report for `day`. Each unit's report is recorded once
    (DailyReport) and its e-mails are notifications keyed by unit and day, so running it again, or two
    schedulers at once (they queue on the job's row lock), sends nothing twice."""
    now = now or clock.now()
    ScheduledJob.objects.get_or_create(name=JOB)
    with transaction.atomic():
        ScheduledJob.objects.select_for_update().get(name=JOB)
        done = set(DailyReport.objects.filter(day=day).values_list("unit_id", flat=True))
        units = [u for u in report_units() if u.pk not in done]
        levels = levels_by_id()
        reports = build(units, day, levels)
        recipients = _recipients(units, day)
        for unit in units:
            report = reports[unit.pk]
            people = recipients.get(unit.pk, [])
            subject, body = email_text(report, levels, now)
            notify.notify(recipient_ids=people, kind="daily_report", subject=subject, body=body,
                          url=f"/alerts/daily/{unit.pk}/?day={day.isoformat()}", ref=f"daily:{unit.pk}",
                          channels=("inbox", "email"), dedupe=f"daily:{unit.pk}:{day.isoformat()}")
        DailyReport.objects.bulk_create([
            DailyReport(unit=unit, day=day, built_at=now, counts=reports[unit.pk].counts,
                        recipients=len(recipients.get(unit.pk, []))) for unit in units])
        result = {"day": day.isoformat(), "sent": len(units), "already": len(done), "complete": True}
        ScheduledJob.objects.filter(name=JOB).update(last_slot=day.isoformat(), last_run_at=now, last_result=result)
    return result


JOB = "daily_report"


def run_if_due(*, now: datetime | None = None) -> dict | None:
    """The morning job: once 07:00 (local) has passed, send the day's reports unless that is done already."""
    now = now or clock.now()
    local = now.astimezone(report_zone())
    if local.hour < REPORT_HOUR:
        return None
    day = local.date()
    job = ScheduledJob.objects.filter(name=JOB).first()
    if job is not None and job.last_slot == day.isoformat() and job.last_result.get("complete"):
        return None
    return send_daily_reports(day=day, now=now)


def today_local() -> date:
    return timezone.localdate(clock.now())

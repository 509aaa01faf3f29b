"""The daily key-case report (一日一报): each morning, per school and per district, the warnings that are new,
escalated, overdue and cleared. Built for every unit at once from a few set-based queries, then shown as a
page, a PDF, and sent by e-mail (recorded as notifications) to the people responsible.

The window is the 24 hours before 07:00 (Asia/Shanghai) on the report's day; "overdue" is as of the window's end.
A school's report lists all of its warnings; a district's lists those the district centre sees (escalated to
the district or above, or of a level visible to centres) and counts every school's figures.
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
CATEGORIES = ("new", "escalated", "overdue", "cleared")


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
    student_name: str
    class_name: str
    school_id: int | None
    district_id: int | None
    level_id: int
    state: str
    tier: int
    raised_at: datetime
    due_at: datetime | None
    escalated_at: datetime | None
    cleared_at: datetime | None
    visible_to_district: bool


@dataclass
class Report:
    unit: OrgUnit
    day: date
    start: datetime
    end: datetime
    sections: dict[str, list[Row]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    by_school: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(rows) for c, rows in self.sections.items()}


def _rows(units: list[OrgUnit], start: datetime, end: datetime) -> list[Row]:
    school_ids = [u.pk for u in units if u.kind == OrgUnit.Kind.SCHOOL]
    district_ids = [u.pk for u in units if u.kind == OrgUnit.Kind.DISTRICT]
    where = Q()
    if school_ids:
        where |= Q(student__school_id__in=school_ids)
    if district_ids:
        where |= Q(student__district_id__in=district_ids)
    happened = (Q(raised_at__gte=start, raised_at__lt=end) | Q(escalated_at__gte=start, escalated_at__lt=end)
                | Q(cleared_at__gte=start, cleared_at__lt=end) | Q(due_at__lte=end, state__in=states.OPEN))
    visible_levels = set(WarningLevel.objects.filter(visible_to_centres=True).values_list("pk", flat=True))
    values = (
        Warning.objects.filter(where).filter(happened)
        .values_list("id", "student__name", "student__school_class__name", "student__school_id",
                     "student__district_id", "level_id", "state", "tier", "raised_at", "due_at", "escalated_at",
                     "cleared_at")
        .order_by("id")
    )
    return [
        Row(*v, visible_to_district=v[7] >= states.DISTRICT or v[5] in visible_levels)
        for v in values.iterator(chunk_size=5000)
    ]


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
    return found


def build(units: list[OrgUnit], day: date) -> dict[int, Report]:
    """The reports of `day` for these schools and districts, from one query over the warnings."""
    start, end = window(day)
    reports = {u.pk: Report(unit=u, day=day, start=start, end=end) for u in units}
    for row in _rows(units, start, end):
        for category in _categories(row, start, end):
            school_report = reports.get(row.school_id)
            if school_report is not None:
                school_report.sections[category].append(row)
            district_report = reports.get(row.district_id)
            if district_report is not None:
                counts = district_report.by_school.setdefault(row.school_id, dict.fromkeys(CATEGORIES, 0))
                counts[category] += 1
                if row.visible_to_district:
                    district_report.sections[category].append(row)
    return reports


def build_one(unit: OrgUnit, day: date) -> Report:
    return build([unit], day)[unit.pk]


# --------------------------------------------------------------------------------------------- rendering

def levels_by_id() -> dict[int, WarningLevel]:
    return {lv.pk: lv for lv in WarningLevel.objects.all()}


def email_text(report: Report, levels: dict[int, WarningLevel], now: datetime) -> tuple[str, str]:
    """Subject and body of the e-mail. No student names: e-mail leaves the platform, so it lists warning
    numbers, levels, states and classes and links to the page (and its PDF) behind sign-in."""
    lang = settings.LANGUAGE_CODE
    with translation.override(lang):
        subject = _("Daily key-case report (一日一报) %(day)s · %(unit)s") % {
            "day": report.day.isoformat(), "unit": report.unit.name}
        body = render_to_string("alerts/daily_email.txt", {
            "report": report, "levels": levels, "now": now, "lang": lang,
            "sections": [(c, _section_label(c), report.sections[c]) for c in CATEGORIES],
            "school_names": _school_names(report),
        })
    return subject, body


def _section_label(category: str) -> str:
    return {"new": _("New"), "escalated": _("Escalated"), "overdue": _("Overdue"), "cleared": _("Cleared")}[category]


def _school_names(report: Report) -> dict[int, str]:
    if not report.by_school:
        return {}
    return dict(OrgUnit.objects.filter(pk__in=[k for k in report.by_school if k]).values_list("id", "name"))


def pdf(report: Report, levels: dict[int, WarningLevel]) -> bytes:
    """The report as a PDF, with the built-in CID font STSong-Light for Chinese (no font file needed)."""
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
        Spacer(1, 4 * mm),
    ]
    counts = report.counts
    summary = Table([[_section_label(c) for c in CATEGORIES], [str(counts[c]) for c in CATEGORIES]],
                    hAlign="LEFT")
    summary.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 10),
                                 ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4"))]))
    story.append(summary)
    header = [_("No."), _("Student"), _("Class"), _("Level"), _("State"), _("Raised"), _("Due")]
    for category in CATEGORIES:
        rows = report.sections[category]
        story.append(Paragraph(f"{_section_label(category)} ({len(rows)})", head_style))
        if not rows:
            story.append(Paragraph(_("None."), text_style))
            continue
        data = [header] + [[
            f"#{r.id}", r.student_name, r.class_name or "—", levels[r.level_id].label(lang),
            str(_state_label(r.state)), r.raised_at.astimezone(zone).strftime("%m-%d %H:%M"),
            r.due_at.astimezone(zone).strftime("%m-%d %H:%M") if r.due_at else "—",
        ] for r in rows]
        table = Table(data, repeatRows=1, hAlign="LEFT",
                      colWidths=[14 * mm, 26 * mm, 30 * mm, 22 * mm, 40 * mm, 24 * mm, 24 * mm])
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 8.5),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4"))]))
        story.append(table)
    if report.by_school:
        names = _school_names(report)
        story.append(Paragraph(_("By school"), head_style))
        data = [[_("School")] + [_section_label(c) for c in CATEGORIES]] + [
            [names.get(sid, "—")] + [str(counts_[c]) for c in CATEGORIES]
            for sid, counts_ in sorted(report.by_school.items(), key=lambda kv: names.get(kv[0], ""))
        ]
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 8.5),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
        story.append(table)
    doc.build(story)
    return buffer.getvalue()


def _state_label(state: str):
    from .models import STATE_LABELS

    return STATE_LABELS.get(state, state)


# ----------------------------------------------------------------------------------------------- sending

RECIPIENT_ROLES = {OrgUnit.Kind.SCHOOL: ("psych_teacher", "school_leader"), OrgUnit.Kind.DISTRICT: ("centre_staff",)}


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
    return list(OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.SCHOOL, OrgUnit.Kind.DISTRICT], is_active=True)
                .order_by("kind", "id"))


def send_daily_reports(*, day: date, now: datetime | None = None) -> dict[str, int]:
    """Build and send every school's and district's report for `day`. Each unit's report is recorded once
    (DailyReport) and its e-mails are notifications keyed by unit and day, so running it again, or two
    schedulers at once (they queue on the job's row lock), sends nothing twice."""
    now = now or clock.now()
    ScheduledJob.objects.get_or_create(name=JOB)
    with transaction.atomic():
        ScheduledJob.objects.select_for_update().get(name=JOB)
        done = set(DailyReport.objects.filter(day=day).values_list("unit_id", flat=True))
        units = [u for u in report_units() if u.pk not in done]
        reports = build(units, day)
        levels = levels_by_id()
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

"""The student's file (一人一档): one timeline of everything the platform knows about a student, newest first.

The file has no table of its own: each app that keeps records about students offers `file_entries(user, student,
held)` (runxin/timeline.py) and decides there what its entries show at each detail level; this module gathers
them with the warnings, screenings and follow-ups. The student comes through the scoping layer (the user must
hold CASE_FILE for them); the view writes the read-audit rows for what it shows."""

from dataclasses import dataclass, replace
from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.alerts import selectors as alert_selectors
from runxin.alerts.models import STATE_LABELS, FollowUp, WarningEvent
from runxin.counseling import selectors as counseling_selectors
from runxin.people.models import Student
from runxin.referrals import selectors as referral_selectors
from runxin.screening import selectors as screening_selectors
from runxin.timeline import Entry
from runxin.visits import selectors as visit_selectors

from . import plan_selectors, team_selectors

KINDS = ("screening", "warning", "plan", "session", "consultation", "visit", "referral", "follow_up", "mentor",
         "transfer", "incident")


def kind_labels() -> dict[str, str]:
    return {"screening": _("Screenings"), "warning": _("Warnings"), "plan": _("Plan"),
            "session": _("Counseling"), "consultation": _("Consultation"), "visit": _("Home visits"),
            "referral": _("Referrals"), "follow_up": _("Follow-ups"), "mentor": _("Mentor contacts"),
            "transfer": _("Transfers"), "incident": _("Incident reviews")}


@dataclass
class StudentFile:
    student: Student
    held: set[str]
    entries: list[Entry]  # what happened, newest first
    upcoming: list[Entry]  # what is due later (follow-ups, planned visits), soonest first
    warnings: list  # current and past warnings in reach (the header shows the open one)
    counts: dict[str, int]


def _aware(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time(12, 0)))


def _warning_entries(user, student: Student, held: set[str]) -> tuple[list, list[Entry]]:
    if roles.STUDENT_RISK_LEVEL not in held:
        return [], []
    warnings = alert_selectors.student_warnings(user, student.pk)
    if not warnings:
        return [], []
    clinical = roles.STUDENT_CLINICAL in held
    language = translation.get_language() or "zh-hans"
    events = (WarningEvent.objects.filter(warning__in=warnings).select_related("actor", "to_level")
              .order_by("at", "pk"))
    entries = []
    for event in events:
        title = str(WarningEvent.Kind(event.kind).label) if event.kind in WarningEvent.Kind.values else event.kind
        if event.kind == WarningEvent.Kind.RAISED and event.to_level_id:
            title = _("Warning raised: %(level)s") % {"level": event.to_level.label(language)}
        elif event.kind == WarningEvent.Kind.LEVEL_CHANGED and event.to_level_id:
            title = _("Level changed to %(level)s") % {"level": event.to_level.label(language)}
        detail = event.reason if clinical else ""
        if clinical and event.clinical_note:
            detail = f"{detail}\n{event.clinical_note}".strip()
        badges = (str(STATE_LABELS.get(event.to_state, event.to_state)),) if event.to_state else ()
        entries.append(Entry(at=event.at, kind="warning", title=title, detail=detail,
                             url=reverse("alerts:detail", args=[event.warning_id]),
                             actor="" if event.actor_protected or not event.actor_id
                             else (event.actor.display_name or event.actor.username), badges=badges))
    return warnings, entries


def _screening_entries(user, student: Student, held: set[str]) -> list[Entry]:
    if roles.STUDENT_CLINICAL not in held:
        return []
    lines = screening_selectors.student_screenings(user, student, translation.get_language() or "zh-hans")
    risk = {"critical": _("critical item positive"), "high": _("high risk"), "moderate": _("moderate risk"),
            "review": _("needs review")}
    return [Entry(at=line.scored_at, kind="screening", title=f"{line.instrument} · {line.campaign}",
                  detail=line.band, url=reverse("screening:result_detail", args=[line.submission_id]),
                  badges=(str(risk.get(line.risk_level, line.risk_level)),) if line.risk_level not in ("", "none")
                  else ())
            for line in lines]


def _follow_up_entries(student: Student, held: set[str]) -> list[Entry]:
    if roles.STUDENT_RISK_LEVEL not in held:
        return []
    today = timezone.localdate()
    linked = roles.ALERT_QUEUE in held
    entries = []
    for f in FollowUp.objects.filter(student=student).select_related("done_by", "assigned_to").order_by("due_on"):
        if f.done_at:
            entries.append(Entry(at=f.done_at, kind="follow_up", title=_("Follow-up done (回访)"),
                                 url=reverse("alerts:follow_up", args=[f.pk]) if linked else "",
                                 detail=f.note if roles.STUDENT_CLINICAL in held else "",
                                 actor=f.done_by.display_name if f.done_by else "",
                                 badges=(str(f.get_origin_display()),)))
        else:
            badges = [str(f.get_origin_display())]
            if f.due_on < today:
                badges.append(_("overdue"))
            entries.append(Entry(at=_aware(f.due_on), kind="follow_up",
                                 title=_("Follow-up due (回访)"),
                                 url=reverse("alerts:follow_up", args=[f.pk]) if linked else "",
                                 actor=f.assigned_to.display_name if f.assigned_to else "",
                                 badges=tuple(badges)))
    return entries


def student_file(user, student_id: int, *, kind: str = "") -> StudentFile:
    """The file of one student the user holds CASE_FILE for (404 otherwise, as for any student out of reach)."""
    student = scope.student_or_404(user, student_id, roles.CASE_FILE)
    held = scope.permissions_for_student(user, student)
    warnings, entries = _warning_entries(user, student, held)
    entries += _screening_entries(user, student, held)
    entries += _follow_up_entries(student, held)
    for provider in (plan_selectors, team_selectors, counseling_selectors, referral_selectors, visit_selectors):
        entries += provider.file_entries(user, student, held)
    entries = [_with_aware_time(e) for e in entries]
    counts = {k: 0 for k in KINDS}
    for entry in entries:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    if kind in counts:
        entries = [e for e in entries if e.kind == kind]
    # What is due on a later day is "coming up"; a record of today (dated by day, shown at noon) stays in the story.
    today = timezone.localdate()
    later = [e for e in entries if timezone.localdate(e.at) > today]
    upcoming = sorted(later, key=lambda e: e.at)
    entries = sorted((e for e in entries if timezone.localdate(e.at) <= today), key=lambda e: e.at, reverse=True)
    return StudentFile(student=student, held=held, entries=entries, upcoming=upcoming, warnings=warnings,
                       counts=counts)


def _with_aware_time(entry: Entry) -> Entry:
    """An entry dated by day (or naive) gets the aware moment _aware gives it, so all sort on one clock."""
    if isinstance(entry.at, datetime) and timezone.is_aware(entry.at):
        return entry
    return replace(entry, at=_aware(entry.at))

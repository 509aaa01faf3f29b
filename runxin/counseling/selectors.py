"""Reads of the counseling app, each taking the acting user.

The notes rule: a session's structured record (current state, main problem, assessment, analysis, measures,
effect) is read by its counselor and by the roles holding COUNSELING_NOTES for the student (the school's
psychology teachers, the centres' staff). Everyone else who may open the student's file (CASE_FILE: a head
teacher, a grade leader, a school leader, a paired mentor) sees only that a session took place: when, in what
form, how long, and with whom. Everyone else: 404. The views render SessionView objects, never the model, so a
template cannot show a note the selector withheld.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from runxin.access import roles, scope
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import Student
from runxin.timeline import Entry

from . import services
from .models import CaseAnalysisReport, Consultation, CounselingSession, ExpertPoolMember

LIST_LIMIT = 200

# Labels in this app's own context (the catalogue's plain "Requested" and "Group" mean other things elsewhere).
FORM_LABELS = {
    CounselingSession.Form.INDIVIDUAL: pgettext_lazy("session form", "Individual"),
    CounselingSession.Form.GROUP: pgettext_lazy("session form", "Group"),
    CounselingSession.Form.PHONE: pgettext_lazy("session form", "Phone"),
    CounselingSession.Form.ONLINE: pgettext_lazy("session form", "Online"),
}
STATUS_LABELS = {
    Consultation.Status.REQUESTED: pgettext_lazy("consultation status", "Waiting for an answer"),
    Consultation.Status.ANSWERED: pgettext_lazy("consultation status", "Answered"),
    Consultation.Status.CLOSED: pgettext_lazy("consultation status", "Closed"),
}


def form_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in FORM_LABELS.items()]


def status_label(consultation: Consultation) -> str:
    return str(STATUS_LABELS.get(consultation.status, consultation.status))


def _name(user) -> str:
    return (getattr(user, "display_name", "") or getattr(user, "username", "")) if user else ""


def reads_notes(user, session: CounselingSession, held: set[str]) -> bool:
    """Whether this user reads the session's notes (held: their permissions for the session's student)."""
    return roles.COUNSELING_NOTES in held or (session.counselor_id == user.pk and roles.COUNSELING_RECORD in held)


@dataclass(frozen=True)
class SessionView:
    pk: int
    student: Student
    held_at: datetime
    form: str
    form_label: str
    duration_minutes: int
    counselor: str
    next_session_on: date | None
    warning_id: int | None
    created_at: datetime
    notes: dict[str, str] | None = None  # None: this viewer sees only that the session took place
    may_correct: bool = False

    @property
    def title(self) -> str:
        return _("Counseling session (%(form)s, %(minutes)d min)") % {"form": self.form_label,
                                                                      "minutes": self.duration_minutes}


def _view(user, session: CounselingSession, held: set[str], now: datetime | None = None) -> SessionView:
    notes = None
    if reads_notes(user, session, held):
        notes = {name: getattr(session, name) for name in services.NOTE_FIELDS}
    return SessionView(
        pk=session.pk, student=session.student, held_at=session.held_at, form=session.form,
        form_label=str(FORM_LABELS.get(session.form, session.form)), duration_minutes=session.duration_minutes,
        counselor=_name(session.counselor), next_session_on=session.next_session_on,
        warning_id=session.warning_id if roles.STUDENT_RISK_LEVEL in held else None, created_at=session.created_at,
        notes=notes, may_correct=notes is not None and services.may_correct(user, session, now)
        and roles.COUNSELING_RECORD in held)


def sessions_visible(user) -> QuerySet[CounselingSession]:
    """Sessions about students whose file the user may open (what each shows is decided per viewer)."""
    return CounselingSession.objects.filter(student__in=scope.students(user, roles.CASE_FILE))


def session_or_404(user, session_id: int) -> CounselingSession:
    session = (sessions_visible(user).select_related("student", "student__school_class", "counselor")
               .filter(pk=session_id).first())
    if session is None:
        raise Http404("No such session")
    return session


def session_view(user, session: CounselingSession) -> SessionView:
    return _view(user, session, scope.permissions_for_student(user, session.student))


def session_list(user, *, mine: bool = False) -> tuple[list[SessionView], bool]:
    """My sessions and those of the students whose notes I read (the school's, the district's), newest first;
    the first LIST_LIMIT, and whether there were more."""
    qs = sessions_visible(user)
    if mine:
        qs = qs.filter(counselor_id=user.pk)
    else:
        qs = qs.filter(Q(counselor_id=user.pk) | Q(student__in=scope.students(user, roles.COUNSELING_NOTES)))
    rows = list(qs.select_related("student", "student__school_class", "counselor")
                .order_by("-held_at", "-pk")[:LIST_LIMIT + 1])
    views = []
    for session in rows[:LIST_LIMIT]:
        views.append(_view(user, session, scope.detail_permissions(user, session.student)))
    return views, len(rows) > LIST_LIMIT


def open_warnings(user, student: Student) -> list:
    """The student's open warnings the user sees, to link a session or a consultation to."""
    from runxin.alerts import selectors as alert_selectors
    from runxin.alerts import states

    return [w for w in alert_selectors.student_warnings(user, student.pk) if w.state in states.OPEN]


# ---------------------------------------------------------------------------------------- consultations

def consultations_visible(user) -> QuerySet[Consultation]:
    """Consultations about students the user may ask about (the school's team) or answer for (the centre)."""
    return Consultation.objects.filter(Q(student__in=scope.students(user, roles.CONSULT_REQUEST))
                                       | Q(student__in=scope.students(user, roles.CONSULT_ANSWER)))


def consultation_or_404(user, consultation_id: int) -> Consultation:
    found = (consultations_visible(user).select_related("student", "student__school_class", "school",
                                                        "requested_by", "closed_by")
             .filter(pk=consultation_id).first())
    if found is None:
        raise Http404("No such consultation")
    return found


def consultation_list(user) -> tuple[list[Consultation], bool]:
    """Pending first (requested, then answered), then closed; newest first within each."""
    order = Case(When(status=Consultation.Status.REQUESTED, then=Value(0)),
                 When(status=Consultation.Status.ANSWERED, then=Value(1)), default=Value(2),
                 output_field=IntegerField())
    rows = list(consultations_visible(user).select_related("student", "student__school_class", "school")
                .annotate(pending=order).order_by("pending", "-requested_at", "-pk")[:LIST_LIMIT + 1])
    for consultation in rows:
        consultation.status_text = status_label(consultation)
    return rows[:LIST_LIMIT], len(rows) > LIST_LIMIT


def opinions(consultation: Consultation) -> list:
    return list(consultation.opinions.select_related("expert").order_by("given_at", "pk"))


def pool(district: OrgUnit) -> list[ExpertPoolMember]:
    return list(ExpertPoolMember.objects.filter(district=district).select_related("user")
                .order_by("-is_active", "user__display_name", "user__username"))


# -------------------------------------------------------------------------------------- the term's report

@dataclass(frozen=True)
class TermFigures:
    students: int
    sessions: int
    by_form: list[tuple[str, int]] = field(default_factory=list)  # (label, count) for every form
    consultations: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def school_year(year_id: int | None = None) -> SchoolYear | None:
    """The school year asked for (a report of an earlier year), else the current one."""
    found = SchoolYear.objects.filter(pk=year_id).first() if year_id else None
    return found or SchoolYear.objects.filter(is_current=True).first()


def school_years() -> list[SchoolYear]:
    """The current school year and the ones before it, newest first (terms a report may be written for)."""
    current = SchoolYear.objects.filter(is_current=True).first()
    qs = SchoolYear.objects.order_by("-starts_on")
    if current:
        qs = qs.filter(starts_on__lte=current.starts_on)
    return list(qs[:6])


def current_semester(year: SchoolYear, today: date | None = None) -> int:
    today = today or timezone.localdate()
    start, end = services.term_bounds(year, 2)
    return 2 if start <= today <= end else 1


def term_figures(school: OrgUnit, year: SchoolYear, semester: int) -> TermFigures:
    """The term's counseling figures of a school (counts, no names): students seen, sessions by form,
    consultations asked, total hours."""
    first, last = services.term_bounds(year, semester)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last, time.max, tzinfo=tz)
    sessions = CounselingSession.objects.filter(school=school, held_at__range=(start, end))
    forms = Counter(dict(sessions.order_by().values("form").annotate(n=Count("pk")).values_list("form", "n")))
    total = sessions.aggregate(minutes=Sum("duration_minutes"))["minutes"] or 0
    return TermFigures(
        students=sessions.values("student_id").distinct().count(), sessions=sum(forms.values()),
        by_form=[(str(label), forms.get(value, 0)) for value, label in FORM_LABELS.items()],
        consultations=Consultation.objects.filter(school=school, requested_at__range=(start, end)).count(),
        minutes=total)


def case_report(school: OrgUnit, year: SchoolYear, semester: int) -> CaseAnalysisReport | None:
    return CaseAnalysisReport.objects.filter(school=school, school_year=year, semester=semester).first()


def case_reports(school: OrgUnit) -> list[CaseAnalysisReport]:
    return list(CaseAnalysisReport.objects.filter(school=school).select_related("school_year", "author")
                .order_by("-school_year__starts_on", "-semester"))


# ------------------------------------------------------------------------------------- the student's file

def file_entries(user, student: Student, held: set[str]) -> list[Entry]:
    """The student's sessions and consultations for their file (一人一档), newest first. `held` is the user's
    permissions for the student (scope.permissions_for_student). A viewer without the notes sees the fact only
    (date, form, duration, counselor); the question and opinions of a consultation only the school's team and
    the centre read."""
    if roles.CASE_FILE not in held:
        return []
    entries: list[Entry] = []
    sessions = (CounselingSession.objects.filter(student=student).select_related("counselor")
                .order_by("-held_at", "-pk"))
    for session in sessions:
        view = _view(user, session, held)
        detail = ""
        if view.notes is not None:
            detail = "\n".join(f"{label}: {view.notes[name]}" for name, label in (
                ("main_problem", _("Main problem")), ("measures", _("Measures"))) if view.notes[name])
        entries.append(Entry(at=session.held_at, kind="session", title=view.title, detail=detail,
                             url=reverse("counseling:session", kwargs={"session_id": session.pk}),
                             actor=view.counselor))
    reads_consultations = bool({roles.CONSULT_REQUEST, roles.CONSULT_ANSWER} & held)
    for consultation in (Consultation.objects.filter(student=student).select_related("requested_by")
                         .order_by("-requested_at", "-pk")):
        badges = () if consultation.status == Consultation.Status.CLOSED else (status_label(consultation),)
        entries.append(Entry(
            at=consultation.requested_at, kind="consultation",
            title=_("Consultation with the district centre's experts (%(status)s)")
            % {"status": status_label(consultation)},
            detail=consultation.question if reads_consultations else "",
            url=reverse("counseling:consultation", kwargs={"consultation_id": consultation.pk})
            if reads_consultations else "",
            actor=_name(consultation.requested_by), badges=badges))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries

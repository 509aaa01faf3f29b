"""Writes of the counseling app: session records (心理辅导记录), the expert pool (专家库), consultations (会诊) and
their opinions, and the term's case-analysis report (个案分析报告). Each function takes keyword arguments, runs in
one transaction, checks the actor's permission for the student through the scoping layer, and schedules its
notifications inside that transaction (notify rows are the queue).

Every free-text field is an EncryptedTextField: the database holds only ciphertext. The change audit tracks
these models without their text (counseling/apps.py); a correction of the text is recorded as an audit event
naming the fields that changed, never their values, so no plaintext reaches the audit table either."""

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin import audit
from runxin.access import roles, scope
from runxin.alerts import states
from runxin.alerts.models import Warning
from runxin.notify import services as notify
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people import selectors as people_selectors
from runxin.people.models import Student

from .models import CaseAnalysisReport, Consultation, ConsultationOpinion, CounselingSession, ExpertPoolMember

MIN_MINUTES, MAX_MINUTES = 5, 480
CORRECTION_WINDOW = timedelta(hours=24)  # the counselor may correct a record within a day of writing it
TEXT_LIMIT = 10_000  # characters per free-text field
NOTE_FIELDS = ("current_state", "main_problem", "assessment", "analysis", "measures", "effect")


class CounselingError(ValueError):
    """Bad input; nothing was saved. `field` names the form field the message belongs to (or "")."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _require(actor, student: Student, permission: str) -> set[str]:
    held = scope.permissions_for_student(actor, student)
    if permission not in held:
        raise PermissionDenied(permission)
    return held


def _text(value, field: str, *, required: bool = False, label: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise CounselingError(_("Write the %(field)s.") % {"field": label or field}, field)
    if len(text) > TEXT_LIMIT:
        raise CounselingError(_("At most %(n)d characters.") % {"n": TEXT_LIMIT}, field)
    return text


def _open_warning(student: Student, warning: Warning | None) -> Warning | None:
    if warning is None:
        return None
    if warning.student_id != student.pk or warning.state not in states.OPEN:
        raise CounselingError(_("Link only an open warning about this student."), "warning")
    return warning


# ----------------------------------------------------------------------------------------------- sessions

def _check_session(*, held_at: datetime, duration_minutes, form: str, now: datetime,
                   next_session_on: date | None) -> int:
    if form not in CounselingSession.Form.values:
        raise CounselingError(_("Choose the form of the session."), "form")
    try:
        minutes = int(duration_minutes)
    except (TypeError, ValueError):
        raise CounselingError(_("Give the duration in whole minutes."), "duration_minutes") from None
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise CounselingError(_("A session lasts between %(low)d and %(high)d minutes.")
                              % {"low": MIN_MINUTES, "high": MAX_MINUTES}, "duration_minutes")
    if held_at is None:
        raise CounselingError(_("Give the date and time of the session."), "held_at")
    if held_at > now + timedelta(minutes=5):
        raise CounselingError(_("The session cannot be in the future: record it after it took place."), "held_at")
    if held_at < now - timedelta(days=366):
        raise CounselingError(_("The session is more than a year ago: check the date."), "held_at")
    if next_session_on is not None and next_session_on < timezone.localdate(held_at):
        raise CounselingError(_("The next session cannot be before this one."), "next_session_on")
    return minutes


def _notes(notes: dict) -> dict[str, str]:
    labels = {"main_problem": _("main problem"), "measures": _("measures")}
    clean = {name: _text(notes.get(name), name, required=name in labels, label=str(labels.get(name, "")))
             for name in NOTE_FIELDS}
    return clean


@transaction.atomic
def session_record(*, actor, student: Student, held_at: datetime, duration_minutes: int, form: str,
                   current_state: str = "", main_problem: str = "", assessment: str = "", analysis: str = "",
                   measures: str = "", effect: str = "", warning: Warning | None = None,
                   next_session_on: date | None = None) -> CounselingSession:
    """Record a counseling session with a student the actor may counsel (COUNSELING_RECORD for the student)."""
    _require(actor, student, roles.COUNSELING_RECORD)
    now = timezone.now()
    minutes = _check_session(held_at=held_at, duration_minutes=duration_minutes, form=form, now=now,
                             next_session_on=next_session_on)
    notes = _notes({"current_state": current_state, "main_problem": main_problem, "assessment": assessment,
                    "analysis": analysis, "measures": measures, "effect": effect})
    return CounselingSession.objects.create(
        student=student, school_id=student.school_id, counselor=actor, warning=_open_warning(student, warning),
        held_at=held_at, duration_minutes=minutes, form=form, next_session_on=next_session_on, **notes)


def may_correct(user, session: CounselingSession, now: datetime | None = None) -> bool:
    """The counselor may correct their own record within a day of writing it; later the record stands."""
    now = now or timezone.now()
    return session.counselor_id == user.pk and now - session.created_at <= CORRECTION_WINDOW


@transaction.atomic
def session_correct(*, actor, session: CounselingSession, held_at: datetime, duration_minutes: int, form: str,
                    current_state: str = "", main_problem: str = "", assessment: str = "", analysis: str = "",
                    measures: str = "", effect: str = "", next_session_on: date | None = None) -> CounselingSession:
    """The counselor corrects their own record within 24 hours of writing it. The change audit records which
    note fields changed (not their text) and the new date, duration and form."""
    session = CounselingSession.objects.select_for_update().get(pk=session.pk)
    _require(actor, session.student, roles.COUNSELING_RECORD)
    if not may_correct(actor, session):
        raise CounselingError(_("Only the counselor may correct a record, and only within 24 hours of writing it."))
    now = timezone.now()
    minutes = _check_session(held_at=held_at, duration_minutes=duration_minutes, form=form, now=now,
                             next_session_on=next_session_on)
    notes = _notes({"current_state": current_state, "main_problem": main_problem, "assessment": assessment,
                    "analysis": analysis, "measures": measures, "effect": effect})
    changed = [name for name, text in notes.items() if getattr(session, name) != text]
    for name, text in notes.items():
        setattr(session, name, text)
    session.held_at, session.duration_minutes, session.form = held_at, minutes, form
    session.next_session_on = next_session_on
    session.save()
    if changed:
        audit.record_event(session, action="update", changes={name: ["…", "…"] for name in changed}, actor=actor)
    return session


# --------------------------------------------------------------------------------------------- the pool

def pool_districts(user) -> list[OrgUnit]:
    """The districts whose expert pool the user manages: where they hold CONSULT_ANSWER (centre staff of the
    district, or of the city above it)."""
    return list(scope.units(user, roles.CONSULT_ANSWER).filter(kind=OrgUnit.Kind.DISTRICT, is_active=True)
                .order_by("path"))


def _answering_staff(unit_ids: list[int]):
    """The user ids holding CONSULT_ANSWER today at one of these units (centre staff)."""
    return (people_selectors.assignments_in_force()
            .filter(role__in=roles.roles_with(roles.CONSULT_ANSWER), org_unit_id__in=unit_ids).values("user_id"))


def pool_candidates(district: OrgUnit):
    """Who may sit in a district's pool: active staff holding CONSULT_ANSWER at the district or its city."""
    units = [district.pk] + ([district.parent_id] if district.parent_id else [])
    return (get_user_model().objects.filter(pk__in=_answering_staff(units), is_active=True)
            .order_by("display_name", "username"))


def _manage_pool(actor, district: OrgUnit) -> None:
    if district.pk not in {d.pk for d in pool_districts(actor)}:
        raise PermissionDenied(roles.CONSULT_ANSWER)


@transaction.atomic
def expert_add(*, actor, district: OrgUnit, user, speciality: str = "") -> ExpertPoolMember:
    """Add a centre staff member to the district's expert pool (or bring them back with a new speciality)."""
    _manage_pool(actor, district)
    if user is None or not pool_candidates(district).filter(pk=user.pk).exists():
        raise CounselingError(_("Only centre staff of this district or its city can be experts."), "user")
    speciality = (speciality or "").strip()
    if len(speciality) > 120:
        raise CounselingError(_("At most %(n)d characters.") % {"n": 120}, "speciality")
    member = ExpertPoolMember.objects.filter(district=district, user=user).first()
    if member is None:
        return ExpertPoolMember.objects.create(district=district, user=user, speciality=speciality)
    member.is_active, member.speciality = True, speciality or member.speciality
    member.save()
    return member


@transaction.atomic
def expert_set_active(*, actor, member: ExpertPoolMember, active: bool) -> ExpertPoolMember:
    _manage_pool(actor, member.district)
    member.is_active = active
    member.save()
    return member


def pool_user_ids(district_id: int) -> list[int]:
    return list(ExpertPoolMember.objects.filter(district_id=district_id, is_active=True, user__is_active=True)
                .values_list("user_id", flat=True))


def is_expert(user, consultation: Consultation) -> bool:
    return ExpertPoolMember.objects.filter(district_id=consultation.district_id, user_id=user.pk,
                                           is_active=True).exists()


# ---------------------------------------------------------------------------------------- consultation

def _consultation_url(consultation: Consultation) -> str:
    return reverse("counseling:consultation", kwargs={"consultation_id": consultation.pk})


@transaction.atomic
def consultation_request(*, actor, student: Student, question: str, warning: Warning | None = None) -> Consultation:
    """A school asks its district centre's expert pool about a case. The pool's active experts are told in
    their inbox (no student name in the notice); with no expert in the pool yet, the district's centre staff."""
    _require(actor, student, roles.CONSULT_REQUEST)
    question = _text(question, "question", required=True, label=_("question"))
    if not student.district_id or not student.school_id:
        raise CounselingError(_("The student is not placed in a school of a district."))
    consultation = Consultation.objects.create(
        student=student, school_id=student.school_id, district_id=student.district_id,
        warning=_open_warning(student, warning), requested_by=actor, requested_at=timezone.now(),
        question=question)
    recipients = pool_user_ids(student.district_id)
    if not recipients:
        recipients = list(get_user_model().objects.filter(pk__in=_answering_staff([student.district_id]),
                                                          is_active=True).values_list("pk", flat=True))
    school = OrgUnit.objects.filter(pk=student.school_id).values_list("name", flat=True).first() or ""
    notify.notify(recipient_ids=[uid for uid in recipients if uid != actor.pk], kind="consultation.requested",
                  subject=_("Consultation requested by %(school)s") % {"school": school},
                  url=_consultation_url(consultation), ref=f"consultation:{consultation.pk}",
                  dedupe=f"consultation:{consultation.pk}:requested")
    return consultation


def may_answer(user, consultation: Consultation) -> bool:
    return (consultation.status != Consultation.Status.CLOSED and is_expert(user, consultation)
            and roles.CONSULT_ANSWER in scope.permissions_for_student(user, consultation.student))


def may_close(user, consultation: Consultation, held: set[str] | None = None) -> bool:
    if consultation.status == Consultation.Status.CLOSED:
        return False
    held = scope.permissions_for_student(user, consultation.student) if held is None else held
    return roles.CONSULT_REQUEST in held or (roles.CONSULT_ANSWER in held and is_expert(user, consultation))


@transaction.atomic
def consultation_opinion(*, actor, consultation: Consultation, opinion: str,
                         recommendations: str = "") -> ConsultationOpinion:
    """An expert of the district's pool gives an opinion; the requester is told."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not may_answer(actor, consultation):
        raise PermissionDenied(roles.CONSULT_ANSWER)
    opinion = _text(opinion, "opinion", required=True, label=_("opinion"))
    recommendations = _text(recommendations, "recommendations")
    given = ConsultationOpinion.objects.create(consultation=consultation, expert=actor, given_at=timezone.now(),
                                               opinion=opinion, recommendations=recommendations)
    if consultation.status == Consultation.Status.REQUESTED:
        consultation.status = Consultation.Status.ANSWERED
        consultation.save(update_fields=["status"])
    notify.notify(recipient_ids=[consultation.requested_by_id], kind="consultation.answered",
                  subject=_("An expert has answered your consultation request"),
                  url=_consultation_url(consultation), ref=f"consultation:{consultation.pk}",
                  dedupe=f"consultation:{consultation.pk}:opinion:{given.pk}")
    return given


@transaction.atomic
def consultation_close(*, actor, consultation: Consultation, conclusion: str) -> Consultation:
    """The requesting school or an expert closes the consultation with a conclusion."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not may_close(actor, consultation):
        raise PermissionDenied(roles.CONSULT_REQUEST)
    consultation.conclusion = _text(conclusion, "conclusion", required=True, label=_("conclusion"))
    consultation.status = Consultation.Status.CLOSED
    consultation.closed_at, consultation.closed_by = timezone.now(), actor
    consultation.save()
    told = {consultation.requested_by_id, *ConsultationOpinion.objects.filter(consultation=consultation)
            .values_list("expert_id", flat=True)} - {actor.pk}
    notify.notify(recipient_ids=sorted(told), kind="consultation.closed", subject=_("A consultation was closed"),
                  url=_consultation_url(consultation), ref=f"consultation:{consultation.pk}",
                  dedupe=f"consultation:{consultation.pk}:closed")
    return consultation


# ----------------------------------------------------------------------------------- case-analysis report

def term_bounds(year: SchoolYear, semester: int) -> tuple[date, date]:
    """The days of a term: the first from the year's start to the end of January, the second from February."""
    february = date(year.starts_on.year + 1, 2, 1)
    if semester == 1:
        return year.starts_on, february - timedelta(days=1)
    return february, year.ends_on


def may_write_report(user, school: OrgUnit) -> bool:
    """The school's own psychology teachers write its report: a role held at the school itself that carries
    both the report and the counseling record (the school leader and the centres read it)."""
    return any(g.unit_id == school.pk and roles.CASE_REPORT in g.permissions
               and roles.COUNSELING_RECORD in g.permissions for g in scope.grants(user))


@transaction.atomic
def case_report_save(*, actor, school: OrgUnit, school_year: SchoolYear, semester: int, summary: str,
                     cases_count: int, finalise: bool = False) -> CaseAnalysisReport:
    """Write or rewrite the school's report for a term; once finalised it is read-only."""
    if not may_write_report(actor, school):
        raise PermissionDenied(roles.CASE_REPORT)
    if semester not in (1, 2):
        raise CounselingError(_("Choose the semester."), "semester")
    summary = _text(summary, "summary", required=True, label=_("analysis"))
    report = (CaseAnalysisReport.objects.select_for_update()
              .filter(school=school, school_year=school_year, semester=semester).first())
    now = timezone.now()
    if report is None:
        try:
            with transaction.atomic():
                report = CaseAnalysisReport.objects.create(
                    school=school, school_year=school_year, semester=semester, author=actor, written_at=now,
                    summary=summary, cases_count=cases_count, finalised_at=now if finalise else None)
        except IntegrityError:
            raise CounselingError(_("Someone else has just written this term's report: open it again.")) from None
        return report
    if report.finalised_at:
        raise CounselingError(_("This term's report is final and can no longer be changed."))
    report.summary, report.cases_count, report.author, report.written_at = summary, cases_count, actor, now
    if finalise:
        report.finalised_at = now
    report.save()
    return report

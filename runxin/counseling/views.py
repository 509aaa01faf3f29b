"""Pages of the counseling app: session records, consultations (会诊), the expert pool and the term's
case-analysis report. Thin: parse, call a selector or service, render. Every page that names a student writes its
read-audit rows in the page's own transaction (@audited_read)."""

from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires, signed_in
from runxin.access.read_audit import record_read, record_reads
from runxin.alerts.models import Warning
from runxin.converters import query_id
from runxin.org.models import OrgUnit, SchoolYear

from . import selectors, services


def _note_fields():
    """The six parts of the record, in Changzhou's order, with their labels and hints."""
    return [
        ("current_state", _("Current state"), _("How the student is now: mood, sleep, school, family.")),
        ("main_problem", _("Main problem"), _("What the student came with, in their words and yours.")),
        ("assessment", _("Assessment"), _("Your assessment, with any scale used.")),
        ("analysis", _("Analysis"), _("Causes and what keeps the problem going.")),
        ("measures", _("Measures"), _("What was done in this session and agreed for the next days.")),
        ("effect", _("Effect evaluation"), _("How the student responded; what changed since last time.")),
    ]


def _parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _session_input(post) -> dict:
    """The service's arguments from a session form; a date that does not parse is a form error."""
    held_at = _parse_datetime(post.get("held_at", ""))
    if held_at is None:
        raise services.CounselingError(_("Give the date and time of the session."), "held_at")
    next_raw = post.get("next_session_on", "").strip()
    next_on = _parse_date(next_raw) if next_raw else None
    if next_raw and next_on is None:
        raise services.CounselingError(_("Give the next session's date as a date."), "next_session_on")
    values = {"held_at": held_at, "duration_minutes": post.get("duration_minutes", ""),
              "form": post.get("form", ""), "next_session_on": next_on}
    values.update({name: post.get(name, "") for name in services.NOTE_FIELDS})
    return values


def _session_form_context(student, posted=None, error=None) -> dict:
    return {"student": student, "forms": selectors.form_choices(), "note_fields": _note_fields(),
            "posted": posted or {}, "error": error, "min_minutes": services.MIN_MINUTES,
            "max_minutes": services.MAX_MINUTES}


# ------------------------------------------------------------------------------------------------ sessions

@require_http_methods(["GET", "POST"])
@requires(roles.COUNSELING_RECORD)
@audited_read
def session_new(request, student_id: int):
    """Record a counseling session with a student (心理辅导记录)."""
    student = scope.student_or_404(request.user, student_id, roles.COUNSELING_RECORD)
    record_read(user=request.user, student=student, record_type="counseling.session_new", request=request)
    warnings = selectors.open_warnings(request.user, student)
    if request.method == "POST":
        try:
            values = _session_input(request.POST)
            warning_id = query_id(request.POST.get("warning", ""))
            warning = next((w for w in warnings if w.pk == warning_id), None)
            if request.POST.get("warning") and warning is None:
                raise services.CounselingError(_("Link only an open warning about this student."), "warning")
            session = services.session_record(actor=request.user, student=student, warning=warning, **values)
        except services.CounselingError as exc:
            context = _session_form_context(student, request.POST, exc)
            context["warnings"] = warnings
            return render(request, "counseling/session_form.html", context, status=400)
        messages.success(request, _("Session recorded."))
        return redirect("counseling:session", session_id=session.pk)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    # A session with a student whose warning is open is part of that case: linked unless the counselor says not
    # (left at "none", sessions in the middle of a red case went unlinked).
    context = _session_form_context(student, {"held_at": now, "duration_minutes": "45", "form": "individual",
                                              "warning": str(warnings[0].pk) if warnings else ""})
    context["warnings"] = warnings
    return render(request, "counseling/session_form.html", context)


@require_http_methods(["GET", "POST"])
@requires(roles.CASE_FILE)
@audited_read
def session(request, session_id: int):
    """One session: the full record for its counselor and the roles that read notes; the fact for the others.
    A POST is the counselor's correction within 24 hours of writing."""
    found = selectors.session_or_404(request.user, session_id)
    record_read(user=request.user, student=found.student, record_type="counseling.session", record_id=found.pk,
                request=request)
    view = selectors.session_view(request.user, found)
    context = {"s": view, "student": found.student, "note_fields": _note_fields(),
               "forms": selectors.form_choices(), "window_hours": 24,
               "min_minutes": services.MIN_MINUTES, "max_minutes": services.MAX_MINUTES}
    if request.method == "POST":
        if not view.may_correct:
            raise PermissionDenied("not the counselor, or later than 24 hours")
        try:
            services.session_correct(actor=request.user, session=found, **_session_input(request.POST))
        except services.CounselingError as exc:
            context.update(error=exc, posted=request.POST, editing=True)
            return render(request, "counseling/session.html", context, status=400)
        messages.success(request, _("Correction saved."))
        return redirect("counseling:session", session_id=found.pk)
    if view.may_correct:
        context["posted"] = {"held_at": timezone.localtime(found.held_at).strftime("%Y-%m-%dT%H:%M"),
                             "duration_minutes": found.duration_minutes, "form": found.form,
                             "next_session_on": found.next_session_on.isoformat() if found.next_session_on else "",
                             **(view.notes or {})}
    return render(request, "counseling/session.html", context)


@require_GET
@requires(roles.COUNSELING_RECORD)
@audited_read
def session_list(request):
    """My sessions and the school's (or the district's), newest first."""
    mine = request.GET.get("mine") == "1"
    rows, cut = selectors.session_list(request.user, mine=mine)
    record_reads(user=request.user, request=request, record_type="counseling.sessions",
                 students=[(r.student.pk, r.pk) for r in rows])
    schools = scope.units(request.user, roles.CASE_REPORT).filter(kind=OrgUnit.Kind.SCHOOL).order_by("name")[:20]
    return render(request, "counseling/sessions.html", {"rows": rows, "cut": cut, "mine": mine,
                                                        "report_schools": schools})


# ------------------------------------------------------------------------------------------ consultation

def _may_consult(user) -> bool:
    return scope.has_permission(user, roles.CONSULT_REQUEST) or scope.has_permission(user, roles.CONSULT_ANSWER)


@require_http_methods(["GET", "POST"])
@requires(roles.CONSULT_REQUEST)
@audited_read
def consult_new(request, student_id: int):
    """A school asks the district centre's experts about a case (会诊)."""
    student = scope.student_or_404(request.user, student_id, roles.CONSULT_REQUEST)
    record_read(user=request.user, student=student, record_type="counseling.consult_new", request=request)
    warnings = selectors.open_warnings(request.user, student)
    context = {"student": student, "warnings": warnings, "posted": request.POST, "error": None,
               "pool_empty": not services.pool_user_ids(student.district_id) if student.district_id else True}
    if request.method == "POST":
        warning_id = query_id(request.POST.get("warning", ""))
        warning: Warning | None = next((w for w in warnings if w.pk == warning_id), None)
        try:
            if request.POST.get("warning") and warning is None:
                raise services.CounselingError(_("Link only an open warning about this student."), "warning")
            consultation = services.consultation_request(actor=request.user, student=student,
                                                         question=request.POST.get("question", ""),
                                                         warning=warning)
        except services.CounselingError as exc:
            context["error"] = exc
            return render(request, "counseling/consult_form.html", context, status=400)
        messages.success(request, _("Consultation requested; the district centre's experts have been told."))
        return redirect("counseling:consultation", consultation_id=consultation.pk)
    return render(request, "counseling/consult_form.html", context)


@require_http_methods(["GET", "POST"])
@requires(roles.CASE_FILE)
@audited_read
def consultation(request, consultation_id: int):
    """One consultation: the question, the experts' opinions, the conclusion. An expert of the district's pool
    answers here; the school or an expert closes it with a conclusion."""
    found = selectors.consultation_or_404(request.user, consultation_id)
    record_read(user=request.user, student=found.student, record_type="counseling.consultation",
                record_id=found.pk, request=request)
    held = scope.permissions_for_student(request.user, found.student)
    context = {"c": found, "student": found.student, "opinions": selectors.opinions(found),
               "status_text": selectors.status_label(found),
               "may_answer": services.may_answer(request.user, found),
               "may_close": services.may_close(request.user, found, held), "posted": {}, "error": None,
               "error_action": ""}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "opinion":
                if not context["may_answer"]:
                    raise PermissionDenied(roles.CONSULT_ANSWER)
                services.consultation_opinion(actor=request.user, consultation=found,
                                              opinion=request.POST.get("opinion", ""),
                                              recommendations=request.POST.get("recommendations", ""))
                messages.success(request, _("Opinion recorded; the school has been told."))
            elif action == "close":
                if not context["may_close"]:
                    raise PermissionDenied(roles.CONSULT_REQUEST)
                services.consultation_close(actor=request.user, consultation=found,
                                            conclusion=request.POST.get("conclusion", ""))
                messages.success(request, _("Consultation closed."))
            else:
                raise services.CounselingError(_("Choose what to do: give an opinion or close the consultation."))
        except services.CounselingError as exc:
            context.update(error=exc, posted=request.POST, error_action=action)
            return render(request, "counseling/consultation.html", context, status=400)
        return redirect("counseling:consultation", consultation_id=found.pk)
    return render(request, "counseling/consultation.html", context)


@require_GET
@signed_in
@audited_read
def consultation_list(request):
    """The consultations of my school (asked) or my district (to answer), pending first."""
    if not _may_consult(request.user):
        raise PermissionDenied(roles.CONSULT_REQUEST)
    rows, cut = selectors.consultation_list(request.user)
    record_reads(user=request.user, request=request, record_type="counseling.consultations",
                 students=[(c.student_id, c.pk) for c in rows])
    return render(request, "counseling/consultations.html", {"rows": rows, "cut": cut})


# ------------------------------------------------------------------------------------------- expert pool

@require_http_methods(["GET", "POST"])
@requires(roles.CONSULT_ANSWER)
def experts(request):
    """The district centre's expert pool (专家库): who is asked when a school requests a consultation."""
    districts = services.pool_districts(request.user)
    if not districts:
        raise PermissionDenied(roles.CONSULT_ANSWER)
    wanted = query_id(request.POST.get("district") or request.GET.get("district") or "")
    district = next((d for d in districts if d.pk == wanted), districts[0])
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "add":
                user = services.pool_candidates(district).filter(pk=query_id(request.POST.get("user", ""))).first()
                services.expert_add(actor=request.user, district=district, user=user,
                                    speciality=request.POST.get("speciality", ""))
                messages.success(request, _("Added to the expert pool."))
            elif action in ("deactivate", "reactivate"):
                member = next((m for m in selectors.pool(district)
                               if m.pk == query_id(request.POST.get("member", ""))), None)
                if member is None:
                    raise services.CounselingError(_("Choose a member of this pool."), "member")
                services.expert_set_active(actor=request.user, member=member, active=action == "reactivate")
                messages.success(request, _("Expert pool updated."))
            else:
                raise services.CounselingError(_("Choose a person to add to the pool."), "user")
            return redirect(f"{request.path}?district={district.pk}")
        except services.CounselingError as exc:
            error = exc
    members = selectors.pool(district)
    in_pool = {m.user_id for m in members if m.is_active}
    context = {"districts": districts, "district": district, "members": members, "error": error,
               "posted": request.POST if error else {},
               "candidates": [u for u in services.pool_candidates(district) if u.pk not in in_pool]}
    return render(request, "counseling/experts.html", context, status=400 if error else 200)


# ------------------------------------------------------------------------------------ case-analysis report

@require_http_methods(["GET", "POST"])
@requires(roles.CASE_REPORT)
def case_reports(request, unit_id: int):
    """The school's case-analysis reports per term (个案分析报告): its psychology teacher writes the term's
    report, prefilled with the term's figures, and finalises it; the school leader and the centres read it."""
    school = scope.unit_or_404(request.user, unit_id, roles.CASE_REPORT)
    if school.kind != OrgUnit.Kind.SCHOOL:
        raise Http404("Not a school")
    year = selectors.school_year(query_id(request.POST.get("year") or request.GET.get("year") or ""))
    may_write = services.may_write_report(request.user, school) and year is not None
    semester = query_id(request.POST.get("semester") or request.GET.get("semester") or "")
    if semester not in (1, 2):
        semester = selectors.current_semester(year) if year else 1
    figures = selectors.term_figures(school, year, semester) if year else None
    current = selectors.case_report(school, year, semester) if year else None
    error = None
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied(roles.CASE_REPORT)
        try:
            report = services.case_report_save(
                actor=request.user, school=school, school_year=year, semester=semester,
                summary=request.POST.get("summary", ""), cases_count=figures.students,
                finalise=request.POST.get("action") == "finalise")
            messages.success(request, _("Report finalised.") if report.finalised_at else _("Report saved."))
            return redirect(f"{request.path}?year={year.pk}&semester={semester}")
        except services.CounselingError as exc:
            error = exc
    prefill = current.summary if current else _prefill(figures, year, semester) if figures else ""
    context = {"school": school, "year": year, "years": selectors.school_years(), "semester": semester, "figures": figures, "current": current,
               "reports": selectors.case_reports(school), "may_write": may_write, "error": error,
               "summary": request.POST.get("summary", "") if error else prefill}
    return render(request, "counseling/case_reports.html", context, status=400 if error else 200)


def _prefill(figures, year: SchoolYear, semester: int) -> str:
    forms = ", ".join(f"{label} {n}" for label, n in figures.by_form)
    return _("%(year)s, semester %(semester)d: %(students)d students in %(sessions)d counseling sessions "
             "(%(forms)s), %(hours)s hours in all; %(consultations)d consultations with the district centre.\n\n"
             "Typical cases and what was learnt:\n\nWhat the school will do next term:\n") % {
        "year": year.code, "semester": semester, "students": figures.students, "sessions": figures.sessions,
        "forms": forms, "hours": figures.hours, "consultations": figures.consultations}


from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import get_language

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read
from runxin.alerts import intake as alert_intake
from runxin.alerts import selectors as alert_selectors
from runxin.converters import query_id, query_page
from runxin.screening import selectors as screening_selectors

from . import selectors
from .models import Student

MAX_PAGE = 100_000  # 5 million rows at 50 a page; a page number beyond it is read as page 1


def _page(value) -> int:
    return query_page(value, MAX_PAGE)


@requires(roles.STUDENT_ROSTER)
def student_list(request):
    params = request.GET
    try:
        qs = selectors.student_search(
            request.user, q=params.get("q", ""), school_id=query_id(params.get("school")),
            grade_level=query_id(params.get("grade")), class_id=query_id(params.get("class")),
            group=params.get("group", ""), flag=params.get("flag", ""), status=params.get("status", "enrolled"),
            sex=params.get("sex", ""), boarding=params.get("boarding", ""),
        )
    except selectors.FilterRefused as refused:
        return HttpResponseBadRequest(str(refused), content_type="text/plain; charset=utf-8")
    page = selectors.student_page(qs, _page(params.get("page")))
    choices = selectors.filter_choices(request.user)
    school_id = query_id(params.get("school")) or (choices["schools"][0]["id"] if len(choices["schools"]) == 1 else None)
    classes = selectors.classes_for_school(request.user, school_id) if school_id else []
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page, "choices": choices, "classes": classes, "params": params, "query": query.urlencode(),
        "statuses": Student.Status.choices, "grades": range(1, 13),
        "committee_classes": scope.root_units(request.user, roles.COMMITTEE_APPOINT),
    }
    template = "people/_student_rows.html" if request.htmx and request.htmx.target == "student-results" else "people/student_list.html"
    return render(request, template, context)


@requires(roles.STUDENT_ROSTER)
def class_options(request):
    school_id = query_id(request.GET.get("school"))
    if school_id is None and request.GET.get("school"):
        return HttpResponseBadRequest("school must be a number")
    classes = selectors.classes_for_school(request.user, school_id) if school_id else []
    return render(request, "people/_class_options.html", {"classes": classes})


@requires(roles.STUDENT_ROSTER)
@audited_read
def student_detail(request, student_id: int):
    student, perms = selectors.student_detail(request.user, student_id)
    return render(request, "people/student_detail.html", detail_context(request, student, perms))


def detail_context(request, student: Student, perms: set[str], *, key_form: dict | None = None) -> dict:
    """What the student page shows to this user (read-audited as it is read); `key_form` refills the
    key-student form after a refused marking."""
    sees_profile = roles.STUDENT_PROFILE in perms
    if sees_profile:
        record_read(user=request.user, student=student, record_type="student.profile", record_id=student.pk,
                    request=request)
    sees_key = sees_profile and roles.KEY_STUDENT_VIEW in perms
    context = {
        "student": student,
        "sees_profile": sees_profile,
        "sees_sensitive": roles.STUDENT_SENSITIVE in perms,
        "sees_guardian_contact": roles.GUARDIAN_CONTACT in perms,
        "guardians": selectors.student_guardians(student) if sees_profile else [],
        "history": selectors.student_history(student) if sees_profile else [],
        "groups": list(student.groups.all()) if sees_profile else [],
        "sees_key": sees_key,
        "key_marks": selectors.key_marks(student) if sees_key else [],
        "may_mark": sees_key and roles.KEY_STUDENT_MARK in perms,
        "key_categories": selectors.key_categories() if sees_key and roles.KEY_STUDENT_MARK in perms else [],
        "key_form": key_form or {},
        "sees_risk": roles.STUDENT_RISK_LEVEL in perms,
        "sees_clinical": roles.STUDENT_CLINICAL in perms,
        "warnings": alert_selectors.student_warnings(request.user, student.pk)
        if roles.STUDENT_RISK_LEVEL in perms else [],
        "screenings": screening_selectors.student_screenings(request.user, student, get_language() or "zh-hans")
        if roles.STUDENT_CLINICAL in perms else [],
        "may_report": roles.ALERT_RAISE in perms and bool(alert_intake.sources_for(request.user)),
        "sees_file": roles.CASE_FILE in perms,
    }
    if context["key_marks"]:
        record_read(user=request.user, student=student, record_type="student.key_marks", record_id=student.pk,
                    request=request)
    if context["screenings"]:
        record_read(user=request.user, student=student, record_type="screening.results", record_id=student.pk,
                    request=request)
    return context

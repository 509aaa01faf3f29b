"""The individual report in two voices (issue 13): the professional report beside the result page, the careful
report's preview and its sharing with the family, and the shared report on the student's and the parent's side.
Every opening is written to the read audit first (the family's openings too: the teacher sees when they read it).
What the reports say is built in individual_report.py."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read
from runxin.people.masking import mask_student_number

from . import individual_report, pdf, selectors
from .i18n import lang
from .models import ReportShare

STUDENT, PARENTS = ReportShare.Audience.STUDENT, ReportShare.Audience.PARENTS


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _shown_number(user, student) -> str:
    full = roles.STUDENT_SENSITIVE in scope.detail_permissions(user, student)
    return student.student_number if full else mask_student_number(student.student_number)


# --- the professional report (SCREENING_RESULTS: the psychology teacher, the district centre) ---------------------


@requires(roles.SCREENING_RESULTS)
@audited_read
def professional(request, submission_id: int):
    submission = selectors.submission_or_404(request.user, submission_id)
    student = submission.target.student
    record_read(user=request.user, student=student, record_type=individual_report.READ_PROFESSIONAL,
                record_id=submission.pk, request=request)
    report = individual_report.professional(request.user, submission, lang())
    return render(request, "screening/individual/professional.html", {
        "report": report, "submission": submission, "student": student, "campaign": report.campaign,
        "may_share": individual_report.may_share(request.user, student),
    })


@requires(roles.SCREENING_RESULTS)
@audited_read
def professional_pdf(request, submission_id: int):
    submission = selectors.submission_or_404(request.user, submission_id)
    student = submission.target.student
    record_read(user=request.user, student=student, record_type=individual_report.READ_PROFESSIONAL,
                record_id=submission.pk, request=request, purpose="pdf")
    report = individual_report.professional(request.user, submission, lang())
    return _pdf(pdf.professional_report_pdf(report, student_number=_shown_number(request.user, student)),
                f"screening-report-{submission.pk}.pdf")


# --- the careful report: preview, share, withdraw (INDIVIDUAL_REPORT_SHARE) ----------------------------------------


def _shareable_or_404(user, submission_id: int):
    """A submission the user sees clinically and may share the careful report of (404 otherwise)."""
    submission = selectors.submission_or_404(user, submission_id)
    if not individual_report.may_share(user, submission.target.student):
        raise Http404("No such report")
    return submission


@requires(roles.INDIVIDUAL_REPORT_SHARE)
@audited_read
def careful_preview(request, submission_id: int):
    """The careful report exactly as the family will see it, with who it is shared with and the share buttons."""
    submission = _shareable_or_404(request.user, submission_id)
    student = submission.target.student
    record_read(user=request.user, student=student, record_type=individual_report.READ_PREVIEW,
                record_id=submission.pk, request=request)
    live = {share.audience: share for share in individual_report.live_shares(submission)}
    opened = individual_report.opened_by_family(submission)
    return render(request, "screening/individual/preview.html", {
        "report": individual_report.careful(submission), "submission": submission, "student": student,
        "campaign": submission.target.campaign, "live": live, "history": individual_report.share_history(submission),
        "audiences": [(value, label, live.get(value), opened.get(value))
                      for value, label in ReportShare.Audience.choices],
    })


@requires(roles.INDIVIDUAL_REPORT_SHARE)
@audited_read
def careful_preview_pdf(request, submission_id: int):
    submission = _shareable_or_404(request.user, submission_id)
    record_read(user=request.user, student=submission.target.student, record_type=individual_report.READ_PREVIEW,
                record_id=submission.pk, request=request, purpose="pdf")
    return _pdf(pdf.careful_report_pdf(individual_report.careful(submission)), f"feedback-{submission.pk}.pdf")


@requires(roles.INDIVIDUAL_REPORT_SHARE)
@require_POST
def careful_share(request, submission_id: int):
    submission = _shareable_or_404(request.user, submission_id)
    try:
        created = individual_report.report_share(user=request.user, submission=submission,
                                                 audiences=request.POST.getlist("audience"))
    except individual_report.ScreeningError as exc:
        messages.error(request, exc.message)
    else:
        if created:
            messages.success(request, _("Shared with %(whom)s.") % {
                "whom": _(" and ").join(str(share.get_audience_display()).lower() for share in created)})
        else:
            messages.info(request, _("It was already shared."))
    return redirect("screening:careful_preview", submission.pk)


@requires(roles.INDIVIDUAL_REPORT_SHARE)
@require_POST
def careful_withdraw(request, submission_id: int):
    submission = _shareable_or_404(request.user, submission_id)
    try:
        share = individual_report.report_withdraw(user=request.user, submission=submission,
                                                  audience=request.POST.get("audience", ""))
    except individual_report.ScreeningError as exc:
        messages.error(request, exc.message)
    else:
        if share is not None:
            messages.success(request, _("Withdrawn: %(whom)s no longer see it.") % {
                "whom": str(share.get_audience_display()).lower()})
    return redirect("screening:careful_preview", submission.pk)


# --- the family's side: a shared report (the student's own; a parent's own child's) -------------------------------


PDF_ROUTE = {STUDENT: "screening:student_report_pdf", PARENTS: "screening:parent_report_pdf"}


def _family_page(request, submission_id: int, audience: str):
    submission = individual_report.shared_submission_or_404(request.user, submission_id, audience)
    record_read(user=request.user, student=submission.target.student, record_type=individual_report.READ_BY[audience],
                record_id=submission.pk, request=request)
    return render(request, "screening/individual/family.html", {
        "report": individual_report.careful(submission), "submission": submission,
        "pdf_url": reverse(PDF_ROUTE[audience], args=[submission.pk]),
        "audience": audience, "back": "screening:mine" if audience == STUDENT else "front:family",
    })


def _family_pdf(request, submission_id: int, audience: str):
    submission = individual_report.shared_submission_or_404(request.user, submission_id, audience)
    record_read(user=request.user, student=submission.target.student, record_type=individual_report.READ_BY[audience],
                record_id=submission.pk, request=request, purpose="pdf")
    return _pdf(pdf.careful_report_pdf(individual_report.careful(submission)), f"feedback-{submission.pk}.pdf")


@requires(roles.SCREENING_TAKE)
@audited_read
def student_report(request, submission_id: int):
    return _family_page(request, submission_id, STUDENT)


@requires(roles.SCREENING_TAKE)
@audited_read
def student_report_pdf(request, submission_id: int):
    return _family_pdf(request, submission_id, STUDENT)


@requires(roles.PARENT_HOME)
@audited_read
def parent_report(request, submission_id: int):
    return _family_page(request, submission_id, PARENTS)


@requires(roles.PARENT_HOME)
@audited_read
def parent_report_pdf(request, submission_id: int):
    return _family_pdf(request, submission_id, PARENTS)

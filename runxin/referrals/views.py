"""Pages of the referrals app: refer a student (the guardian step first), one referral with its dated timeline and
the steps of whoever is looking, the receiving side's inbox (a partner hospital's home) and the school's sent list."""

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
from runxin.alerts import selectors as alert_selectors
from runxin.converters import query_id, query_page
from runxin.people import selectors as people_selectors

from . import forms, selectors, services
from .models import Referral

PAGE_SIZE = 50


# -------------------------------------------------------------------------------------------- refer a student

@require_http_methods(["GET", "POST"])
@requires(roles.REFERRAL_MAKE)
@audited_read
def referral_new(request, student_id: int):
    student = scope.student_or_404(request.user, student_id, roles.REFERRAL_MAKE)
    held = scope.ordinary_permissions(request.user, student)
    if roles.REFERRAL_MAKE not in held:  # an emergency grant opens the student, not a referral
        raise Http404("No such student")
    warning_id = query_id(request.POST.get("warning") or request.GET.get("warning") or "")
    warning = (alert_selectors.warnings_visible(request.user).filter(pk=warning_id, student=student).first()
               if warning_id else None)
    units = list(services.receiving_units(student))
    form = forms.ReferralForm(request.POST or None, units=units)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = next((u for u in units if u.pk == data["to_unit"]), None)
        try:
            referral = services.referral_create(
                actor=request.user, student=student, to_unit=unit, reason=data["reason"], urgent=data["urgent"],
                guardian_name=data["guardian_name"], guardian_how=data["guardian_how"],
                guardian_informed_at=data["guardian_informed_at"], guardian_response=data["guardian_response"],
                warning=warning)
        except services.ReferralError as problem:
            error = str(problem)
        else:
            messages.success(request, _("Referral sent to %(unit)s.") % {"unit": unit.name})
            if not referral.receivers:
                messages.warning(request, _("Nobody at %(unit)s has an account to receive it yet: phone them now.")
                                 % {"unit": unit.name})
            if warning is not None and not referral.warning_recorded:
                messages.warning(request, _("The warning's history could not record this referral (the warning is "
                                            "closed or handled elsewhere); the referral names it."))
            return redirect("referrals:detail", referral_id=referral.pk)
    guardians = (people_selectors.student_guardians(student) if roles.GUARDIAN_CONTACT in held else [])
    record_read(user=request.user, student=student, record_type="referrals.new", request=request)
    return render(request, "referrals/new.html", {
        "student": student, "form": form, "error": error, "warning": warning, "guardians": guardians,
        "units": units, "now": timezone.localtime(services.clock()).strftime("%Y-%m-%dT%H:%M"),
        "open": selectors.school_side(request.user).filter(student=student, status__in=Referral.ACTIVE),
    })


# ---------------------------------------------------------------------------------------------- one referral

def _run_step(action: str, *, referral: Referral, actor, data: dict) -> tuple[Referral, str]:
    if action == "accept":
        return services.referral_accept(referral=referral, actor=actor, note=data["note"]), _("Referral accepted.")
    if action == "decline":
        return services.referral_decline(referral=referral, actor=actor, reason=data["reason"]), \
            _("Referral declined; the school has been told.")
    if action == "first_visit":
        return services.record_first_visit(referral=referral, actor=actor, at=data["at"], note=data["note"]), \
            _("First visit recorded.")
    if action == "admission":
        return services.record_admission(referral=referral, actor=actor, at=data["at"], note=data["note"]), \
            _("Admission recorded.")
    if action == "discharge":
        return services.record_discharge(referral=referral, actor=actor, at=data["at"],
                                         clinical_summary=data["clinical_summary"],
                                         return_advice=data["return_advice"]), \
            _("Discharge recorded; the school's follow-ups are scheduled.")
    if action == "return_assessment":
        return services.return_assessment(referral=referral, actor=actor, decision=data["decision"],
                                          arrangements=data["arrangements"],
                                          advice_considered=data["advice_considered"]), \
            _("Return-to-school assessment recorded.")
    if action == "withdraw":
        return services.referral_withdraw(referral=referral, actor=actor, reason=data["reason"]), \
            _("Referral withdrawn.")
    if action == "close":
        return services.referral_close(referral=referral, actor=actor, note=data["note"]), _("Referral closed.")
    raise services.ReferralError(_("Choose one of the steps offered on this page."))


def _form_problem(form) -> str:
    for name, problems in form.errors.items():
        if name == "at":
            return _("Give the date and time as 2026-10-09 14:30.")
        if problems:
            return _("Keep each text under %(n)s characters.") % {"n": services.MAX_TEXT}
    return ""


@require_http_methods(["GET", "POST"])
@signed_in
@audited_read
def referral_detail(request, referral_id: int):
    referral, seen = selectors.referral_or_404(request.user, referral_id)
    error, failed = "", ""
    if request.method == "POST":
        action = request.POST.get("do", "")
        form = forms.StepForm(request.POST)
        if action not in selectors.actions_for(request.user, referral, seen):
            error = _("That step is not open to you on this referral now.") if action else \
                _("Choose one of the steps offered on this page.")
        elif not form.is_valid():
            error, failed = _form_problem(form), action
        else:
            try:
                referral, done = _run_step(action, referral=referral, actor=request.user, data=form.cleaned_data)
            except services.ReferralError as problem:
                error, failed = str(problem), action
            except PermissionDenied:
                error = _("That step is not open to you on this referral now.")
            else:
                messages.success(request, done)
                still = selectors.viewer(request.user, referral)
                if still is None:  # a declining hospital no longer sees the referral
                    return redirect("referrals:received")
                return redirect("referrals:detail", referral_id=referral.pk)
    record_read(user=request.user, student=referral.student, record_type="referrals.referral",
                record_id=referral.pk, request=request)
    held = scope.permissions_for_student(request.user, referral.student)
    return render(request, "referrals/detail.html", {
        "referral": referral, "seen": seen, "student": referral.student, "error": error, "failed": failed,
        "posted": request.POST if failed else {}, "events": [
            (event, selectors.step_title(referral, event.kind),
             selectors.event_detail(referral, event, reads_text=seen.reads_text,
                                    sees_arrangements=seen.sees_arrangements))
            for event in selectors.events(referral)],
        "intervals": selectors.intervals(referral),
        "actions": selectors.actions_for(request.user, referral, seen),
        "guardians": people_selectors.student_guardians(referral.student)
        if roles.GUARDIAN_CONTACT in held else [],
        "decisions": Referral.ReturnDecision.choices, "profile": roles.STUDENT_PROFILE in held,
        "now": timezone.localtime(services.clock()).strftime("%Y-%m-%dT%H:%M"),
    }, status=400 if error else 200)


# ------------------------------------------------------------------------------------------------------ lists

def _page(qs, request):
    number = query_page(request.GET.get("page"), 10_000)
    rows = list(qs[(number - 1) * PAGE_SIZE: number * PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE


def _row(referral: Referral, now) -> dict:
    waited = selectors.hours_between(referral.referred_at, referral.first_visit_at or now)
    return {"referral": referral, "intervals": selectors.intervals(referral), "waited": waited,
            "waiting_answer": referral.status == Referral.Status.SENT}


@require_GET
@requires(roles.REFERRAL_RECEIVE)
@audited_read
def received(request):
    """The receiving side's inbox (a partner hospital's home): waiting for an answer first (urgent first, then the
    longest waiting), then the students in care."""
    now = services.clock()
    qs = selectors.received(request.user)
    waiting = [_row(r, now) for r in qs.filter(status=Referral.Status.SENT)[:200]]
    in_care = [_row(r, now) for r in qs.filter(status__in=selectors.IN_CARE)[:500]]
    finished, number, more = _page(qs.exclude(status__in=Referral.ACTIVE).order_by("-referred_at", "-pk"), request)
    record_reads(user=request.user, request=request, record_type="referrals.received",
                 students=[(row["referral"].student_id, row["referral"].pk) for row in waiting + in_care]
                 + [(r.student_id, r.pk) for r in finished])
    return render(request, "referrals/received.html", {
        "waiting": waiting, "in_care": in_care, "finished": finished, "page": number, "more": more,
        "figures": selectors.received_figures(request.user),
        "units": [g.unit_id for g in selectors.receiving_grants(request.user)],
    })


@require_GET
@requires(roles.REFERRAL_MAKE)
@audited_read
def sent(request):
    """The school's referrals: the open ones (urgent first, then the longest waiting) or all, with waiting times."""
    now = services.clock()
    show = "all" if request.GET.get("show") == "all" else "open"
    rows, number, more = _page(selectors.sent(request.user, show=show), request)
    record_reads(user=request.user, request=request, record_type="referrals.sent",
                 students=[(r.student_id, r.pk) for r in rows])
    return render(request, "referrals/sent.html", {
        "rows": [_row(r, now) for r in rows], "show": show, "page": number, "more": more,
        "figures": selectors.first_visit_figures(selectors.school_side(request.user)),
    })

"""Follow-up pages (回访): the list of follow-ups in reach (mine, all open, overdue, done) with the schools' figures
for leaders, and one follow-up, recorded there whether or not a warning scheduled it. Thin, like views.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read, record_reads

from . import clock, forms, selectors, services


@require_http_methods(["GET"])
@requires(roles.ALERT_QUEUE)
@audited_read
def follow_ups(request):
    """Follow-ups in reach: mine (the default), every open one, the overdue ones, the last done; overdue first.
    Leaders and centres also see due, done and overdue per school."""
    show = request.GET.get("show", "mine")
    if show not in selectors.FOLLOW_UP_LISTS:
        show = "mine"
    rows = selectors.follow_up_list(request.user, show)
    record_reads(user=request.user, request=request, record_type="alerts.follow_ups",
                 students=[(f.student_id, f"follow_up:{f.pk}") for f in rows])
    figures = [(unit, *selectors.follow_up_figures(unit)) for unit in selectors.follow_up_figure_units(request.user)]
    return render(request, "alerts/follow_ups.html", {
        "rows": rows, "show": show, "today": timezone.localdate(clock.now()), "figures": figures,
        "lists": [("mine", _("Mine")), ("reach", _("All open")), ("overdue", _("Overdue")), ("done", _("Done"))],
        "clinical": scope.holds_everywhere(request.user, roles.STUDENT_CLINICAL),
    })


@require_http_methods(["GET", "POST"])
@requires(roles.ALERT_QUEUE)
@audited_read
def follow_up(request, follow_up_id: int):
    """One follow-up: the student, what scheduled it, when it is due and who is responsible; recorded here by the
    responsible person or anyone who handles warnings or plans the case for the student."""
    item = selectors.follow_up_or_404(request.user, follow_up_id)
    record_read(user=request.user, student=item.student, record_type="alerts.follow_up", record_id=item.pk,
                request=request)
    may_record = services.may_record_follow_up(request.user, item) and item.done_at is None
    form = forms.FollowUpRecordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_record and item.done_at is None:
            raise PermissionDenied(roles.ALERT_HANDLE)
        status = 400
        if item.done_at is not None:
            form.add_error(None, _("This follow-up has already been recorded."))
        elif form.is_valid():
            try:
                services.follow_up_done(follow_up=item, actor=request.user, note=form.cleaned_data["note"])
            except services.WarningError as error:
                form.add_error("note", str(error))
            else:
                messages.success(request, _("Follow-up recorded."))
                return redirect("alerts:follow_ups")
    held = scope.permissions_for_student(request.user, item.student)
    warning_visible = item.warning_id is not None and selectors.warnings_visible(request.user).filter(
        pk=item.warning_id).exists()
    return render(request, "alerts/follow_up.html", {
        "f": item, "form": form, "may_record": may_record, "today": timezone.localdate(clock.now()),
        "warning_visible": warning_visible,
        "note_visible": roles.STUDENT_CLINICAL in held or item.done_by_id == request.user.pk,
    }, status=status)

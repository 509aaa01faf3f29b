from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires, signed_in
from runxin.access.read_audit import record_reads
from runxin.analytics import views_dashboards  # analytics dashboards

from . import home_summary
from . import readiness as readiness_checks


@signed_in
@audited_read
def home(request):
    """A role-aware start page: each role's assignments and the figures it may see."""
    user = request.user
    if scope.has_permission(user, roles.PARENT_HOME) and scope.role_codes(user) <= {"parent"}:
        return redirect("front:family")  # a parent's home is their children's tasks
    if scope.role_codes(user) == {"hospital"}:
        return redirect("referrals:received")  # a partner clinician's home is the referrals sent to their unit
    assignments = [
        {"role": roles.role_label(g.role), "code": g.role, "unit_id": g.unit_id}
        for g in scope.grants(user)
    ]
    units = {u.id: u for u in scope.root_units(user)} if scope.has_permission(user, roles.ORG_BROWSE) else {}
    for item in assignments:
        item["unit"] = units.get(item["unit_id"])
    context = {"assignments": assignments, "can": {}}
    for perm in (roles.STUDENT_ROSTER, roles.ROSTER_IMPORT, roles.ORG_BROWSE, roles.AUDIT_SEARCH,
                 roles.ROLLOVER_RUN, roles.PEER_REPORT, roles.STAFF_MANAGE, roles.ALERT_PARENT_REPORT,
                 roles.ALERT_SELF_HELP, roles.SCREENING_TAKE, roles.ALERT_RAISE, roles.KEY_STUDENT_VIEW):
        context["can"][perm.replace(".", "_")] = scope.has_permission(user, perm)
    if scope.has_permission(user, roles.ALERT_QUEUE):
        # "What must I do now" opens the page: the steps waiting for this person, by time left.
        context["work"] = home_summary.my_work(user)
        # The list names students with their warning level: a sensitive read, audited (fails closed).
        record_reads(user=user, request=request, record_type="alerts.my_work",
                     students=home_summary.work_students(context["work"]))
        context["warnings"] = home_summary.warnings_by_level(user)
    cases = home_summary.case_work(user)
    if not cases.empty:
        context["cases"] = cases
        record_reads(user=user, request=request, record_type="cases.my_work", students=cases.students())
    # >>> analytics dashboards
    # A city-level user's home page is the city's dashboard (with the cards above); others get a link to theirs.
    city_home = views_dashboards.home_page(request, context)
    if city_home is not None:
        return city_home
    context["can"]["dashboard"] = scope.has_permission(user, roles.DASHBOARD_VIEW)
    # <<< analytics dashboards
    if scope.has_permission(user, roles.SCREENING_PROGRESS):
        context["campaigns"] = home_summary.open_campaigns(user)
    if context["can"]["student_roster"]:
        visible = scope.students(user, roles.STUDENT_ROSTER)
        context["student_count"] = visible.filter(status="enrolled").count()
        if context["can"]["key_student_view"]:  # who is a key student is not the whole roster's to know
            context["key_student_count"] = visible.filter(status="enrolled", is_key_student=True).count()
    if context["can"]["screening_take"]:
        context["screenings_waiting"] = home_summary.screenings_waiting(user)
    if context["can"]["alert_self_help"]:
        context["asked_for_help_at"] = home_summary.my_last_help_request(user)
    # A partner's liaison (police, court, community) enters nothing here: their home says whom to tell.
    context["passes_concerns_on"] = "society_partner" in scope.role_codes(user) and not context["can"]["alert_raise"]
    if context["can"]["staff_manage"]:  # the security administrator's day: who cannot sign in, who must
        context["accounts"] = home_summary.accounts_needing_attention(user)
    return render(request, "front/home.html", context)


@requires(roles.READINESS_VIEW)
@require_safe
def readiness(request):
    """The go-live checklist: the units whose checklist this person may open, the first one shown."""
    units = readiness_checks.units_for(request.user)
    if len(units) == 1:
        return redirect("front:readiness_unit", unit_id=units[0].pk)
    summaries = [(unit, readiness_checks.checklist(request.user, unit)) for unit in units]
    return render(request, "front/readiness_list.html", {
        "rows": [{"unit": unit, "open": sum(1 for line in lines if not line.ok), "total": len(lines)}
                 for unit, lines in summaries],
    })


@requires(roles.READINESS_VIEW)
@require_safe
def readiness_unit(request, unit_id: int):
    unit = scope.unit_or_404(request.user, unit_id, roles.READINESS_VIEW)
    lines = readiness_checks.checklist(request.user, unit)
    return render(request, "front/readiness.html", {
        "unit": unit, "lines": lines, "open": sum(1 for line in lines if not line.ok),
        "may_review": readiness_checks.may_review(request.user, unit),
        "districts": readiness_checks.units_for(request.user) if unit.kind == "city" else [],
    })


@requires(roles.READINESS_VIEW)
@require_POST
def readiness_review(request, unit_id: int):
    unit = scope.unit_or_404(request.user, unit_id, roles.READINESS_VIEW)
    if not readiness_checks.may_review(request.user, unit):
        raise PermissionDenied("readiness review")
    item = request.POST.get("item", "")
    if item not in readiness_checks.REVIEWS:
        return HttpResponseBadRequest(_("Unknown checklist item."))
    readiness_checks.review_record(user=request.user, unit=unit, item=item, note=request.POST.get("note", ""))
    messages.success(request, _("Signed. The checklist shows your name and the time."))
    return redirect("front:readiness_unit", unit_id=unit.pk)

from django.shortcuts import redirect, render

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, signed_in
from runxin.access.read_audit import record_reads

from . import home_summary


@signed_in
@audited_read
def home(request):
    """A role-aware start page: each role's assignments and the figures it may see."""
    user = request.user
    if scope.has_permission(user, roles.PARENT_HOME) and scope.role_codes(user) <= {"parent"}:
        return redirect("front:family")  # a parent's home is their children's tasks
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
                 roles.ALERT_SELF_HELP, roles.SCREENING_TAKE):
        context["can"][perm.replace(".", "_")] = scope.has_permission(user, perm)
    if scope.has_permission(user, roles.ALERT_QUEUE):
        # "What must I do now" opens the page: the steps waiting for this person, by time left.
        context["work"] = home_summary.my_work(user)
        # The list names students with their warning level: a sensitive read, audited (fails closed).
        record_reads(user=user, request=request, record_type="alerts.my_work",
                     students=home_summary.work_students(context["work"]))
        context["warnings"] = home_summary.warnings_by_level(user)
    if scope.has_permission(user, roles.SCREENING_PROGRESS):
        context["campaigns"] = home_summary.open_campaigns(user)
    if context["can"]["student_roster"]:
        visible = scope.students(user, roles.STUDENT_ROSTER)
        context["student_count"] = visible.filter(status="enrolled").count()
        context["key_student_count"] = visible.filter(status="enrolled", is_key_student=True).count()
    return render(request, "front/home.html", context)

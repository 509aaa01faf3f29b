"""The plan pages (一生一策): the list, opening a plan, the plan page with the six steps, and the steps on it; and
the student-side page of peer-watch tasks (同伴跟防). Thin: parse, call plan_selectors or plans, render. Every page
that shows plan content writes its read-audit rows first (fails closed)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read, record_reads
from runxin.alerts import selectors as alert_selectors
from runxin.converters import query_id, query_page

from . import forms_plans as forms
from . import plan_selectors as selectors
from . import plans as services
from .models import CasePlan

PAGE_SIZE = 50
MAX_PAGE = 2000


def _audit(request, plan: CasePlan, purpose: str = "") -> None:
    record_read(user=request.user, student=plan.student, record_type="cases.plan", record_id=plan.pk,
                request=request, purpose=purpose)


# ---------------------------------------------------------------------------------------------------- list

@require_GET
@requires(roles.CASE_FILE)
@audited_read
def plan_list(request):
    """Plans in reach: open first, overdue reviews first; filter by status and school."""
    status = request.GET.get("status", "open")
    status = status if status in (*CasePlan.Status.values, "all") else "open"
    school_id = query_id(request.GET.get("school"))
    qs = selectors.plan_list(request.user, status="" if status == "all" else status, school_id=school_id)
    number = query_page(request.GET.get("page"), MAX_PAGE)
    rows = list(qs[(number - 1) * PAGE_SIZE: number * PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    record_reads(user=request.user, request=request, record_type="cases.plan_list",
                 students=[(p.student_id, p.pk) for p in rows])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/plans/plan_list.html", {
        "rows": rows, "status": status, "school_id": school_id, "schools": selectors.plan_schools(request.user),
        "statuses": CasePlan.Status.choices, "number": number, "has_next": has_next, "query": query.urlencode(),
        "today": selectors._today(), "my_actions": selectors.my_actions(request.user, limit=20) if number == 1
        else [], "may_open": scope.has_permission(request.user, roles.CASE_PLAN),
    })


# ---------------------------------------------------------------------------------------------- open a plan

@require_http_methods(["GET", "POST"])
@requires(roles.CASE_PLAN)
@audited_read
def plan_new(request, student_id: int):
    """Open the student's plan, from a warning (?warning=<id>) or directly."""
    student = scope.students(request.user, roles.CASE_PLAN).select_related(
        "school", "school_class").filter(pk=student_id).first()
    if student is None:
        raise Http404("No such student")
    warning = None
    warning_id = query_id(request.GET.get("warning") or request.POST.get("warning"))
    if warning_id:
        warning = alert_selectors.warning_or_404(request.user, warning_id)
        if warning.student_id != student.pk:
            raise Http404("No such warning")
    record_read(user=request.user, student=student, record_type="cases.plan_new", request=request)
    existing = selectors.open_plan_of(request.user, student)
    staff = selectors.staff_for_student(student)
    initial = {"lead": str(request.user.pk), "next_review_on": services.default_next_review(warning)}
    form = forms.PlanForm(request.POST or None, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_open(
                actor=request.user, student=student, warning=warning, lead=form.person("lead"),
                mentor=form.person("mentor"), assessment=form.cleaned_data["assessment"],
                goals=form.cleaned_data["goals"], next_review_on=form.cleaned_data["next_review_on"])
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Plan opened. Add the actions under the six steps."))
            return redirect("cases:plan", plan_id=plan.pk)
    return render(request, "cases/plans/plan_new.html", {
        "student": student, "warning": warning, "form": form, "existing": existing,
        "review_days": services.review_days(warning),
    }, status=400 if request.method == "POST" else 200)


# ----------------------------------------------------------------------------------------------- the plan

def _context(request, plan: CasePlan, *, failed: str = "", bound=None, error: str = "",
             action_id: int | None = None) -> dict:
    access = selectors.plan_access(request.user, plan)
    page = selectors.plan_page(request.user, plan, access)
    staff = selectors.staff_for_student(plan.student) if access.full and plan.status == CasePlan.Status.OPEN else []
    classmates = selectors.classmates(request.user, plan) if access.full else []
    today = page["today"]
    blank = {
        "action": forms.ActionForm(staff=staff, prefix="action"),
        "review": forms.ReviewForm(prefix="review", initial={
            "next_review_on": services.default_next_review(plan.warning)}),
        "close": forms.CloseForm(prefix="close"),
        "peer": forms.PeerWatchForm(classmates=classmates, prefix="peer"),
        "follow_up": forms.FollowUpForm(staff=staff, prefix="follow_up", initial={"assigned_to": str(plan.lead_id)}),
    }
    if failed in blank and bound is not None:
        blank[failed] = bound
    return {
        "plan": plan, "student": plan.student, "access": access, **page, "forms": blank,
        "failed": failed, "error": error, "today": today, "posted": request.POST if failed else {},
        "may_act_on": {a.pk for s in page["sections"] for a in s.actions
                       if a.done_at is None and (access.full or a.responsible_id == request.user.pk)},
        "is_open": plan.status == CasePlan.Status.OPEN,
        "action_count": sum(len(s.actions) for s in page["sections"]),
        "action_blank": forms.ActionForm(staff=staff, prefix="action"),
        "posted_step": request.POST.get("action-step", "") if failed == "action" else "",
        "failed_action_id": action_id if failed == "done" else None, "done_form": bound if failed == "done" else None,
        "may": _links_allowed(access),
    }


def _links_allowed(access: selectors.PlanAccess) -> dict[str, bool]:
    """Which of the records the plan's steps link to its reader may write (a leader reads the plan but records no
    counseling: the link led to a 403), from the permissions plan_access already read."""
    held = access.held
    return {"session": roles.COUNSELING_RECORD in held, "consult": roles.CONSULT_REQUEST in held,
            "visit": roles.VISIT_RECORD in held, "mentors": roles.CASE_PLAN in held}


@require_GET
@requires(roles.CASE_FILE)
@audited_read
def plan_detail(request, plan_id: int):
    plan = selectors.plan_or_404(request.user, plan_id)
    _audit(request, plan)
    return render(request, "cases/plans/plan_detail.html", _context(request, plan))


def _again(request, plan: CasePlan, *, failed: str, bound=None, error: str = "", action_id: int | None = None):
    """Nothing was saved: the plan page again, with the message and what was typed."""
    _audit(request, plan, purpose=f"step refused: {failed}")
    context = _context(request, selectors.plan_or_404(request.user, plan.pk), failed=failed, bound=bound,
                       error=error, action_id=action_id)
    return render(request, "cases/plans/plan_detail.html", context, status=400)


def _done(request, plan: CasePlan, message: str, anchor: str):
    messages.success(request, message)
    return redirect(reverse("cases:plan", kwargs={"plan_id": plan.pk}) + f"#{anchor}")


def _plan_for_change(request, plan_id: int) -> CasePlan:
    """The plan, for a case.plan holder of its student (a 404 outside the file's reach, a 403 within it)."""
    plan = selectors.plan_or_404(request.user, plan_id)
    if not selectors.plan_access(request.user, plan).full:
        raise PermissionDenied(roles.CASE_PLAN)
    return plan


def _step(request, plan: CasePlan, form, *, failed: str, change, message: str, anchor, action_id=None):
    """One POST step on the plan page: the form, then the service. A form that is not valid, or a step the service
    refuses, shows the page again with what was typed and why (400); a step taken goes back to its section."""
    extra = {"action_id": action_id} if action_id else {}
    if not form.is_valid():
        return _again(request, plan, failed=failed, bound=form, **extra)
    try:
        result = change(form.cleaned_data)
    except services.PlanError as exc:
        return _again(request, plan, failed=failed, bound=form, error=str(exc), **extra)
    return _done(request, plan, message, anchor(result) if callable(anchor) else anchor)


@require_http_methods(["GET", "POST"])
@requires(roles.CASE_PLAN)
@audited_read
def plan_edit(request, plan_id: int):
    """Edit goals, assessment, lead, mentor and the next review."""
    plan = _plan_for_change(request, plan_id)
    _audit(request, plan)
    staff = selectors.staff_for_student(plan.student)
    form = forms.PlanForm(request.POST or None, staff=staff, initial={
        "lead": str(plan.lead_id), "mentor": str(plan.mentor_id or ""), "assessment": plan.assessment,
        "goals": plan.goals, "next_review_on": plan.next_review_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=request.user, plan=plan, goals=form.cleaned_data["goals"],
                                 assessment=form.cleaned_data["assessment"], lead=form.person("lead"),
                                 mentor=form.person("mentor"), next_review_on=form.cleaned_data["next_review_on"])
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, plan, _("Plan saved."), "plan-header")
    return render(request, "cases/plans/plan_edit.html", {"plan": plan, "student": plan.student, "form": form},
                  status=400 if request.method == "POST" else 200)


@require_POST
@requires(roles.CASE_PLAN)
@audited_read
def plan_action(request, plan_id: int):
    """Add an action under one of the six steps."""
    plan = _plan_for_change(request, plan_id)
    form = forms.ActionForm(request.POST, staff=selectors.staff_for_student(plan.student), prefix="action")
    return _step(request, plan, form, failed="action", message=_("Action added; the person responsible has been told."),
                 change=lambda data: services.action_add(
                     actor=request.user, plan=plan, step=data["step"], description=data["description"],
                     responsible=form.person("responsible"), due_on=data["due_on"]),
                 anchor=lambda action: f"step-{action.step}")


@require_POST
@requires(roles.CASE_FILE)
@audited_read
def plan_action_done(request, plan_id: int, plan_action_id: int):
    """Mark an action done (its responsible person or a case.plan holder), with what came of it."""
    plan = selectors.plan_or_404(request.user, plan_id)
    action = selectors.plan_action_or_404(request.user, plan, plan_action_id)
    if not services.may_mark_done(request.user, action):
        raise PermissionDenied("not responsible for this action")
    form = forms.ActionDoneForm(request.POST, prefix="done")
    return _step(request, plan, form, failed="done", action_id=action.pk, message=_("Action recorded as done."),
                 change=lambda data: services.action_done(actor=request.user, action=action, outcome=data["outcome"]),
                 anchor=f"step-{action.step}")


@require_POST
@requires(roles.CASE_PLAN)
@audited_read
def plan_review(request, plan_id: int):
    """Record a review (progress) and the next review date."""
    plan = _plan_for_change(request, plan_id)
    return _step(request, plan, forms.ReviewForm(request.POST, prefix="review"), failed="review",
                 message=_("Review recorded."), anchor="reviews",
                 change=lambda data: services.review_add(actor=request.user, plan=plan, progress=data["progress"],
                                                         next_review_on=data["next_review_on"]))


@require_POST
@requires(roles.CASE_PLAN)
@audited_read
def plan_close(request, plan_id: int):
    """Close the plan with a summary."""
    plan = _plan_for_change(request, plan_id)
    return _step(request, plan, forms.CloseForm(request.POST, prefix="close"), failed="close",
                 message=_("Plan closed."), anchor="plan-header",
                 change=lambda data: services.plan_close(actor=request.user, plan=plan, summary=data["summary"],
                                                         close_open_actions=data["close_open_actions"]))


@require_POST
@requires(roles.CASE_PLAN)
@audited_read
def plan_peer(request, plan_id: int):
    """Name a classmate with a task (do=assign), or end a task (do=end, watch=<id>)."""
    plan = _plan_for_change(request, plan_id)
    if request.POST.get("do") == "end":
        watch = selectors.peer_watch_of(plan, query_id(request.POST.get("watch")))
        if watch is None:
            return _again(request, plan, failed="peer", error=_("Choose the task to end."))
        try:
            services.peer_watch_end(actor=request.user, watch=watch)
        except services.PlanError as exc:
            return _again(request, plan, failed="peer", error=str(exc))
        return _done(request, plan, _("The classmate's task has ended."), "peer-watch")
    form = forms.PeerWatchForm(request.POST, classmates=selectors.classmates(request.user, plan), prefix="peer")
    return _step(request, plan, form, failed="peer", anchor="peer-watch",
                 message=_("Task given. Tell the classmate in person as well."),
                 change=lambda data: services.peer_watch_assign(actor=request.user, plan=plan, watcher=form.chosen(),
                                                                task=data["task"]))


@require_POST
@requires(roles.CASE_PLAN)
@audited_read
def plan_follow_up(request, plan_id: int):
    """Schedule a follow-up visit (回访) from the plan."""
    plan = _plan_for_change(request, plan_id)
    form = forms.FollowUpForm(request.POST, staff=selectors.staff_for_student(plan.student), prefix="follow_up")
    return _step(request, plan, form, failed="follow_up", message=_("Follow-up scheduled."), anchor="follow-ups",
                 change=lambda data: services.plan_follow_up_schedule(
                     actor=request.user, plan=plan, due_on=data["due_on"], assigned_to=form.person("assigned_to"),
                     note=data["note"]))


# ------------------------------------------------------------------------------------- the peer watcher's page

@require_GET
@requires(roles.PEER_WATCH_TASK)
def my_tasks(request):
    """A student's own peer-watch tasks: what to do, whom to tell, since when. Nothing else of any case."""
    return render(request, "cases/plans/my_tasks.html", {"tasks": selectors.peer_tasks(request.user)})

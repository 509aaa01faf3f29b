"""Early-warning pages. Thin: parse, call a selector or service, render. Access is declared on every view;
what each page shows comes from alerts.selectors (which builds on the scoping layer)."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read, record_reads
from runxin.notify import selectors as notify_selectors
from runxin.people.masking import mask_student_number
from runxin.people.models import Student

from . import clock, forms, intake, responsibility, selectors, services, states
from .models import STATE_LABELS, Tier, Warning, WarningEvent, WarningLevel

MAX_PAGE = 100_000


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) < 2**63 else None


def _language() -> str:
    return translation.get_language() or "zh-hans"


# ------------------------------------------------------------------------------------------------- queue

@requires(roles.ALERT_QUEUE)
@audited_read
def queue(request):
    """My warnings to handle, by level, state and age, overdue ones first and marked."""
    params = request.GET
    state = params.get("state", "")
    qs = selectors.queue(
        request.user, level=params.get("level", ""), state=state if state in states.ALL else "",
        age=params.get("age", ""), overdue=params.get("overdue") == "1", mine=params.get("mine") == "1",
    )
    number = _int(params.get("page")) or 1
    if not 1 <= number <= MAX_PAGE:
        raise Http404("No such page")
    page = selectors.queue_page(qs, number)
    query = params.copy()
    query.pop("page", None)
    filtered = any(params.get(k) for k in ("level", "state", "age", "overdue", "mine"))
    context = {
        "page": page, "params": params, "query": query.urlencode(), "levels": services.active_levels(),
        "work": selectors.my_work(request.user) if number == 1 and not filtered else None,
        "states": [(s, STATE_LABELS[s]) for s in states.ALL], "ages": selectors.AGE_CHOICES,
        "can_raise": scope.has_permission(request.user, roles.ALERT_RAISE),
    }
    # Names with their warning level are a sensitive read: one audit row per student listed (fails closed).
    record_reads(user=request.user, request=request, record_type="alerts.queue",
                 students=[(w.student_id, w.pk) for w in page.rows] + (
                     selectors.work_students(context["work"]) if context["work"] else []))
    template = "alerts/_queue_rows.html" if request.htmx and request.htmx.target == "queue-results" \
        else "alerts/queue.html"
    return render(request, template, context)


# ------------------------------------------------------------------------------------------ one warning

ACTIONS = {
    "acknowledge", "assess", "change_level", "start_intervention", "monitor", "request_clear", "approve_clear",
    "reject_clear", "follow_up", "return_to_normal", "reopen", "referral", "visit", "hand_up", "accept_hand_up",
    "schedule_follow_up",
}


def _clearing_card(warning: Warning, events, follow_ups, now) -> dict | None:
    """What an approver needs to judge a clearing request: days in monitoring, the last assessment, visits."""
    if warning.state not in (states.MONITORING, states.CLEAR_REQUESTED):
        return None
    assessments = [e for e in events if e.kind in (WarningEvent.Kind.ASSESSED, WarningEvent.Kind.LEVEL_CHANGED)]
    requests = [e for e in events if e.kind == WarningEvent.Kind.CLEAR_REQUESTED]
    done = [f for f in follow_ups if f.done_at]
    return {
        "days": services.monitoring_days(warning, now), "since": services.monitoring_started(warning),
        "minimum": warning.level.min_monitoring_days, "last_assessment": assessments[-1] if assessments else None,
        "visits": len(done), "last_visit": done[-1] if done else None,
        "request": requests[-1] if requests and warning.state == states.CLEAR_REQUESTED else None,
        "days_open": (now - warning.raised_at).days,
    }


# The page's actions that take a warning's next step (responsibility.next_step), to say "you can do it".
STEP_ACTIONS = {"acknowledge": {"acknowledge"}, "accept_hand_up": {"accept_hand_up"}, "assess": {"assess"},
                "start_intervention": {"start_intervention"}, "approve_clear": {"approve_clear"},
                "follow_up": {"follow_up"}, "monitor": {"monitor", "request_clear", "start_intervention"}}


def _detail_context(request, warning: Warning) -> dict:
    held = scope.permissions_for_student(request.user, warning.student)
    clinical = roles.STUDENT_CLINICAL in held
    events = selectors.history(warning)
    follow_ups = selectors.follow_ups(warning)
    now = clock.now()
    next_step = responsibility.next_step(warning)
    actions = selectors.available_actions(request.user, warning, held)
    return {
        "next_step": next_step,
        "can_take_step": next_step is not None and bool(STEP_ACTIONS.get(next_step.step, set()) & actions),
        # Waiting for the centre to accept a hand-up, the school team keeps the case and its own next step.
        "school_goes_on": next_step is not None and next_step.step == "accept_hand_up"
        and bool(actions & {"assess", "start_intervention", "monitor"}),
        "clearing": _clearing_card(warning, events, follow_ups, now),
        "warning": warning, "student": warning.student, "clinical": clinical, "now": now,
        "events": events, "reports": selectors.reports(warning),
        "follow_ups": follow_ups, "actions": actions,
        "levels": services.active_levels(), "told": notify_selectors.sent_for(f"warning:{warning.pk}"),
        "earlier": [w for w in selectors.student_warnings(request.user, warning.student_id) if w.pk != warning.pk],
        "tier_label": Tier(warning.tier).label, "user_id": request.user.pk,
        "candidates": services.follow_up_candidates(warning.student) if "schedule_follow_up" in actions else [],
        "today": timezone.localdate(now),
        # The case after the warning lives in higher apps, reached by their URLs (cases, referrals).
        "case_links": {"file": roles.CASE_FILE in held, "plan": roles.CASE_PLAN in held,
                       "refer": roles.REFERRAL_MAKE in held and warning.state in states.CURRENT},
    }


@requires(roles.ALERT_QUEUE)
@audited_read
def warning_detail(request, warning_id: int):
    warning = selectors.warning_or_404(request.user, warning_id)
    record_read(user=request.user, student=warning.student, record_type="alerts.warning", record_id=warning.pk,
                request=request)
    return render(request, "alerts/warning_detail.html", _detail_context(request, warning))


def _level_from(post, field: str = "level") -> WarningLevel | None:
    level_id = _int(post.get(field))
    if not level_id:
        return None
    level = WarningLevel.objects.filter(pk=level_id, is_active=True).first()
    if level is None:
        raise services.WarningError(_("Choose one of the levels offered."))
    return level


def _run_action(action: str, *, warning: Warning, actor, post) -> tuple[Warning, str]:
    reason = post.get("reason", "")
    note = post.get("clinical_note", "")
    if action == "acknowledge":
        return services.warning_acknowledge(warning=warning, actor=actor, reason=reason), _("Acknowledged.")
    if action == "assess":
        outcome = post.get("outcome", "")
        if outcome not in ("confirm", "dismiss"):
            raise services.WarningError(_("Choose whether the assessment confirms or dismisses the warning."))
        done = services.warning_assess(warning=warning, actor=actor, confirm=outcome == "confirm",
                                       level=_level_from(post), reason=reason, clinical_note=note)
        return done, _("Assessment recorded.")
    if action == "change_level":
        level = _level_from(post)
        if level is None:
            raise services.WarningError(_("Choose the new level."))
        return services.warning_change_level(warning=warning, actor=actor, level=level, reason=reason,
                                             clinical_note=note), _("Level changed.")
    if action == "start_intervention":
        return services.warning_start_intervention(warning=warning, actor=actor, reason=reason,
                                                   clinical_note=note), _("Intervention started.")
    if action == "monitor":
        return services.warning_monitor(warning=warning, actor=actor, reason=reason, clinical_note=note), \
            _("The student is now monitored.")
    if action == "request_clear":
        return services.warning_request_clear(warning=warning, actor=actor, reason=reason, clinical_note=note,
                                              early_reason=post.get("early_reason", "")), \
            _("Clearing requested; the approvers have been told.")
    if action == "visit":
        return services.warning_record_visit(warning=warning, actor=actor, note=post.get("note", "")), \
            _("Follow-up visit recorded.")
    if action == "schedule_follow_up":
        form = forms.FollowUpScheduleForm(post, candidates=services.follow_up_candidates(warning.student))
        if not form.is_valid():
            raise services.WarningError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        follow_up = services.warning_schedule_follow_up(
            warning=warning, actor=actor, due_on=form.cleaned_data["due_on"],
            assigned_to_id=form.cleaned_data["assigned_to"], note=form.cleaned_data["note"])
        return warning, _("Follow-up scheduled for %(day)s.") % {"day": follow_up.due_on.isoformat()}
    if action == "hand_up":
        return services.warning_hand_up(warning=warning, actor=actor, reason=reason, clinical_note=note), \
            _("The case was handed up to the district centre; it has been told and must accept it.")
    if action == "accept_hand_up":
        return services.warning_accept_hand_up(warning=warning, actor=actor, reason=reason, clinical_note=note), \
            _("Accepted: your centre is now responsible for this case; the school has been told.")
    if action == "approve_clear":
        return services.warning_approve_clear(warning=warning, actor=actor, reason=reason), \
            _("Cleared (解除). Follow-up visits are scheduled.")
    if action == "reject_clear":
        return services.warning_reject_clear(warning=warning, actor=actor, reason=reason), \
            _("Clearing refused; the warning is back in monitoring.")
    if action == "follow_up":
        follow_up_id = _int(post.get("follow_up"))
        if follow_up_id is None:
            raise services.WarningError(_("Choose the follow-up visit to record."))
        return services.warning_record_follow_up(warning=warning, actor=actor, follow_up_id=follow_up_id,
                                                 note=post.get("note", "")), _("Follow-up recorded.")
    if action == "return_to_normal":
        return services.warning_return_to_normal(warning=warning, actor=actor, reason=reason), \
            _("Continued attention ended: back to normal.")
    if action == "reopen":
        return services.warning_reopen(warning=warning, actor=actor, reason=reason), _("Warning reopened.")
    if action == "referral":
        return services.warning_record_referral(warning=warning, actor=actor, reason=reason), \
            _("Referral recorded.")
    raise Http404("No such action")


@require_POST
@requires(roles.ALERT_QUEUE)
@audited_read
def warning_action(request, warning_id: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action")
    warning = selectors.warning_or_404(request.user, warning_id)
    try:
        _done, message = _run_action(action, warning=warning, actor=request.user, post=request.POST)
    except services.WarningError as exc:
        # Nothing was saved: show the page again with the message and what was typed.
        record_read(user=request.user, student=warning.student, record_type="alerts.warning",
                    record_id=warning.pk, request=request)
        context = _detail_context(request, selectors.warning_or_404(request.user, warning_id))
        context.update(error=str(exc), failed_action=action, posted=request.POST)
        return render(request, "alerts/warning_detail.html", context, status=400)
    messages.success(request, message)
    return redirect("alerts:detail", warning_id=warning.pk)


# ------------------------------------------------------------------------------------------- reporting

def _student_for_report(user, *, student_id=None, student_number: str = "") -> Student | None:
    visible = scope.students(user, roles.ALERT_RAISE)
    if student_id:
        return visible.filter(pk=student_id).select_related("school", "school_class").first()
    number = (student_number or "").strip()
    if number:
        return visible.filter(student_number=number).select_related("school", "school_class").first()
    return None


@require_http_methods(["GET", "POST"])
@requires(roles.ALERT_RAISE)
def report_concern(request):
    """A staff member reports a concern (observation, hotline call, hospital or outside notice)."""
    user = request.user
    student_id = _int(request.POST.get("student") or request.GET.get("student"))
    fixed = _student_for_report(user, student_id=student_id) if student_id else None
    if student_id and fixed is None:
        raise Http404("No such student")
    sources = intake.sources_for(user)
    if not sources:
        raise PermissionDenied("no sources")
    levels = services.active_levels()
    form = forms.ReportForm(request.POST or None, sources=sources, levels=levels, language=_language(),
                            needs_student=fixed is None)
    choices = []
    if fixed is None:
        # The picker posts the student's id; its label masks the 学籍号 (it carries the ID number).
        choices = [{"pk": row["id"], "name": row["name"], "masked_number": mask_student_number(row["student_number"])}
                   for row in scope.students(user, roles.ALERT_RAISE).filter(status=Student.Status.ENROLLED)
                   .order_by("name").values("id", "name", "student_number")[:PICKER_LIMIT + 1]]
    searchable = fixed is None and len(choices) > PICKER_LIMIT  # too many to pick from: find by name
    if request.method == "POST" and form.is_valid():
        student = fixed or _student_for_report(user, student_number=form.cleaned_data["student_number"])
        if student is None:
            form.add_error("student_number", _("No student with this number in your scope."))
        else:
            try:
                warning = intake.warning_report(
                    actor=user, student=student, source=form.cleaned_data["source"], level=form.chosen_level(),
                    summary=form.cleaned_data["summary"], reporter_name=form.cleaned_data["reporter_name"],
                    urgency=form.cleaned_data["urgency"])
            except services.WarningError as exc:
                form.add_error(None, str(exc))
            else:
                joined = warning.reports.count() > 1
                messages.success(request, _("Your report joined the open warning #%(id)s.") % {"id": warning.pk}
                                 if joined else _("Warning #%(id)s raised.") % {"id": warning.pk})
                if warning.level.severity == services.active_levels()[0].severity:
                    messages.warning(request, _("This is a warning of the highest level: the people below have been "
                                                "told. Do not leave the student alone until one of them takes over."))
                return redirect("alerts:detail", warning_id=warning.pk)
    query, found = _find_students(user, request.GET.get("q", "")) if searchable else ("", None)
    return render(request, "alerts/report.html", {
        "form": form, "student": fixed, "choices": [] if searchable else choices,
        "query": query, "found": found, "searchable": searchable,
    }, status=400 if request.method == "POST" else 200)


PICKER_LIMIT = 60  # students the report form lists to pick from; beyond, it finds them by name
FIND_LIMIT = 20


def _find_students(user, text: str) -> tuple[str, list[dict] | None]:
    """A caller gives a name and a school, not a 学籍号: the students in the reporter's scope whose name starts
    with the text (the prefix the name indexes serve, as people.selectors.student_search searches: a city-wide
    scope is a hotline's), with school and class, the number masked (None when nothing was asked)."""
    query = " ".join("".join(ch for ch in str(text) if ch.isprintable()).split())[:20]  # no NUL for PostgreSQL
    if not query:
        return "", None
    rows = (scope.students(user, roles.ALERT_RAISE).filter(status=Student.Status.ENROLLED, name__startswith=query)
            .order_by("name", "school__name", "id")
            .values("id", "name", "student_number", "school__name", "school_class__name")[:FIND_LIMIT])
    return query, [{"pk": r["id"], "name": r["name"], "school": r["school__name"], "class": r["school_class__name"],
                    "masked_number": mask_student_number(r["student_number"])} for r in rows]


def _thanks(request, kind: str, outcome):
    """After a lay report: what to do now, written for this reporter (a parent is not told to tell a teacher)."""
    return render(request, "alerts/thanks.html", {"kind": kind, "urgent": outcome.imminent})


@require_http_methods(["GET", "POST"])
@requires(roles.PEER_REPORT)
def peer_report(request):
    """The class psych committee member's minimal form. Afterwards the reporter sees only a thank-you."""
    form = forms.PeerReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = intake.peer_report(actor=request.user, classmate_name=form.cleaned_data["classmate_name"],
                                           summary=form.cleaned_data["summary"], urgency=form.cleaned_data["urgency"])
        except services.WarningError as exc:
            form.add_error(None, str(exc))
        else:
            return _thanks(request, "peer", outcome)
    return render(request, "alerts/peer_report.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@requires(roles.ALERT_PARENT_REPORT)
def parent_report(request):
    children_ids = [g.student_id for g in scope.grants(request.user)
                    if roles.ALERT_PARENT_REPORT in g.permissions and g.student_id]
    children = list(Student.objects.filter(pk__in=children_ids).values_list("id", "name"))
    form = forms.ParentReportForm(request.POST or None, children=children)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = intake.parent_report(actor=request.user, student_id=form.cleaned_data["student"],
                                             summary=form.cleaned_data["summary"],
                                             urgency=form.cleaned_data["urgency"])
        except services.WarningError as exc:
            form.add_error(None, str(exc))
        else:
            return _thanks(request, "parent", outcome)
    return render(request, "alerts/parent_report.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@requires(roles.ALERT_SELF_HELP)
def self_help(request):
    """A student's own "I need help". Help resources are shown before and after asking."""
    form = forms.SelfHelpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        outcome = intake.self_help_request(actor=request.user, message=form.cleaned_data["message"],
                                             urgency=form.cleaned_data["urgency"])
        return _thanks(request, "self", outcome)
    return render(request, "alerts/self_help.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


# ----------------------------------------------------------------------------------------------- levels

@requires(roles.ALERT_LEVELS)
def level_list(request):
    return render(request, "alerts/levels.html", {"levels": WarningLevel.objects.order_by("-severity"),
                                                  "lang": _language()})


@require_http_methods(["GET", "POST"])
@requires(roles.ALERT_LEVELS)
def level_edit(request, level_id: int | None = None):
    level = get_object_or_404(WarningLevel, pk=level_id) if level_id else None
    form = forms.LevelForm(request.POST or None, instance=level)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.level_save(actor=request.user, level=form.save(commit=False))
        except services.WarningError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Level “%(name)s” saved.") % {"name": saved.label(_language())})
            return redirect(reverse("alerts:levels"))
    return render(request, "alerts/level_edit.html", {"form": form, "level": level},
                  status=400 if request.method == "POST" else 200)




@require_http_methods(["GET", "POST"])
@requires(roles.ALERT_LEVELS)
def risk_phrases(request):
    """The city's list of risk phrases: a human report whose text contains one enters at the highest level."""
    current = intake.risk_phrases()
    form = forms.RiskPhrasesForm(request.POST or None, initial={"phrases": "\n".join(current)})
    if request.method == "POST" and form.is_valid():
        try:
            count = intake.risk_phrases_save(actor=request.user, phrases=form.cleaned_data["phrases"])
        except services.WarningError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(n)s risk phrases saved.") % {"n": count})
            return redirect(reverse("alerts:risk_phrases"))
    return render(request, "alerts/risk_phrases.html", {"form": form, "count": len(current)},
                  status=400 if request.method == "POST" else 200)

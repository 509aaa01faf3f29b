"""Writes about the plan (一生一策): open, edit, actions under the six steps, reviews, close, peer watch (同伴跟防)
and the follow-ups (回访) a plan schedules. Each function takes keyword arguments, runs in one transaction,
checks the actor's permission for the student through the scoping layer (never through break-glass) and tells
the people given work through the in-app inbox after commit. Reads are in plan_selectors.py.

Who may do what:
  open, edit, add actions, review, close, assign and end peer watch, schedule follow-ups:
      case.plan for the plan's student (psychology teacher, school leader, centre staff);
  mark an action done: the person responsible for it, or a case.plan holder.
People given work (the lead, a mentor, the responsible person of an action, whoever a follow-up is assigned to)
must reach the student's file themselves (plan_selectors.staff_for_student): staff of the student's class,
grade or school, the district or city centre, or the student's paired mentor.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.alerts import services as alert_services
from runxin.alerts import states as alert_states
from runxin.alerts.models import FollowUp, Warning
from runxin.notify import services as notify
from runxin.people.models import Student

from . import plan_selectors
from .models import CasePlan, ContactPolicy, PeerWatch, PlanAction, PlanReview

Step = PlanAction.Step
MAX_TEXT = 4000
MAX_TASK = 300
DEFAULT_REVIEW_DAYS = 14
# How far ahead a review or follow-up may be set (a year keeps typos such as 2062 out).
MAX_AHEAD_DAYS = 366

# Words that make a peer-watch task clinical or tell the classmate about the risk. The watcher is a child: the
# task says what they do ("eat lunch with her; tell 王老师 if she seems very upset"), never why.
CLINICAL_WORDS = (
    "抑郁", "焦虑", "自杀", "自伤", "自残", "轻生", "割腕", "跳楼", "诊断", "病情", "精神", "心理疾病", "障碍",
    "服药", "药物", "吃药", "住院", "医院", "转介", "预警", "风险", "危机", "量表", "测评", "一生一策", "个案",
    "depress", "anxiety", "suicid", "self-harm", "self harm", "cutting", "diagnos", "disorder", "psychiatr",
    "medication", "hospital", "referral", "warning level", "risk", "crisis", "screening",
)


class PlanError(ValueError):
    """A step on a plan that cannot be done; the message says why, in the user's language."""


# ---------------------------------------------------------------------------------------------------- helpers

def _text(value: str, *, required: bool, missing: str = "", limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise PlanError(missing)
    if len(value) > limit:
        raise PlanError(_("Please keep the text under %(n)s characters.") % {"n": limit})
    return value


def _future_date(value: date | None, *, what: str, required: bool = True) -> date | None:
    if value is None:
        if required:
            raise PlanError(_("Give the date of the %(what)s.") % {"what": what})
        return None
    today = timezone.localdate()
    if value < today:
        raise PlanError(_("The date of the %(what)s cannot be in the past.") % {"what": what})
    if value > today + timedelta(days=MAX_AHEAD_DAYS):
        raise PlanError(_("The date of the %(what)s is more than a year away: check the year.") % {"what": what})
    return value


def _require_plan_permission(actor, student: Student) -> None:
    """case.plan for this student through the actor's own roles (break-glass opens no plan)."""
    if actor is None or roles.CASE_PLAN not in scope.ordinary_permissions(actor, student):
        raise PermissionDenied(roles.CASE_PLAN)


def _require_staff(user, student: Student, *, what: str) -> None:
    if user is None:
        raise PlanError(_("Choose the %(what)s.") % {"what": what})
    if not plan_selectors.is_case_staff(user, student):
        raise PlanError(_("%(name)s cannot be the %(what)s: only staff who can open this student's file (their "
                          "class, grade or school, the district centre, or the student's mentor) can.")
                        % {"name": user, "what": what})


def _require_open(plan: CasePlan) -> None:
    if plan.status != CasePlan.Status.OPEN:
        raise PlanError(_("This plan is closed; open a new plan for the student if needed."))


def _lock(plan: CasePlan) -> CasePlan:
    """The plan row, locked for this transaction, so two people changing one plan at once are serialised."""
    return CasePlan.objects.select_for_update(of=("self",)).select_related("student").get(pk=plan.pk)


def _where(student: Student) -> str:
    parts = [student.school.name if student.school_id else "",
             student.school_class.name if student.school_class_id else ""]
    return " ".join(p for p in parts if p)


def _tell(*, recipient_ids, plan: CasePlan, kind: str, subject, dedupe: str) -> None:
    """An in-app notice after commit. The notice names the step and where, not the student or any detail: the
    recipient opens the plan page, which shows what they may see. `subject` is called in the site's language."""
    recipients = sorted({uid for uid in recipient_ids if uid})
    if not recipients:
        return
    url = reverse("cases:plan", kwargs={"plan_id": plan.pk})
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(subject())

    def send():
        notify.notify(recipient_ids=recipients, kind=f"plan.{kind}", subject=subject, url=url,
                      ref=f"plan:{plan.pk}", channels=["inbox"], dedupe=dedupe)

    transaction.on_commit(send)


def review_days(warning: Warning | None) -> int:
    """Days between reviews: the contact policy of the warning's level, else DEFAULT_REVIEW_DAYS."""
    if warning is not None:
        policy = ContactPolicy.objects.filter(level_id=warning.level_id).first()
        if policy is not None and policy.review_days:
            return int(policy.review_days)
    return DEFAULT_REVIEW_DAYS


def default_next_review(warning: Warning | None) -> date:
    return timezone.localdate() + timedelta(days=review_days(warning))


# ------------------------------------------------------------------------------------------------ the plan

@transaction.atomic
def plan_open(*, actor, student: Student, lead, warning: Warning | None = None, assessment: str = "",
              goals: str = "", next_review_on: date | None = None, mentor=None) -> CasePlan:
    """Open the student's plan (一生一策), from a warning or directly. One open plan per student. A plan opened
    from an assessed warning takes the warning into intervention (its history records the plan)."""
    _require_plan_permission(actor, student)
    if not student.school_id:
        raise PlanError(_("%(name)s is not placed at a school: a plan is held by the school's team.")
                        % {"name": student.name})
    if warning is not None and warning.student_id != student.pk:
        raise PlanError(_("That warning is about another student."))
    _require_staff(lead, student, what=_("case lead"))
    if mentor is not None:
        _require_staff(mentor, student, what=_("mentor"))
    assessment = _text(assessment, required=False)
    goals = _text(goals, required=True, missing=_("Write the plan's goals."))
    if next_review_on is None:
        next_review_on = default_next_review(warning)
    _future_date(next_review_on, what=_("next review"))
    existing = CasePlan.objects.filter(student=student, status=CasePlan.Status.OPEN).first()
    if existing is not None:
        raise PlanError(_("%(name)s already has an open plan (#%(id)s, opened %(date)s). Add to that plan, or "
                          "close it before opening a new one.")
                        % {"name": student.name, "id": existing.pk,
                           "date": timezone.localtime(existing.opened_at).strftime("%Y-%m-%d")})
    now = timezone.now()
    try:
        with transaction.atomic():
            plan = CasePlan.objects.create(
                student=student, school_id=student.school_id, warning=warning, opened_at=now, opened_by=actor,
                lead=lead, mentor=mentor, assessment=assessment, goals=goals, next_review_on=next_review_on)
    except IntegrityError:
        # Someone opened one a moment ago (the database allows one open plan per student).
        raise PlanError(_("%(name)s already has an open plan: someone opened it a moment ago. Reload the page "
                          "and add to that plan.") % {"name": student.name}) from None
    if warning is not None:
        _record_on_warning(actor=actor, warning=warning, plan=plan)
    others = {lead.pk, getattr(mentor, "pk", None)} - {actor.pk}
    _tell(recipient_ids=others, plan=plan, kind="opened",
          subject=lambda: _("A plan (一生一策) names you · %(where)s") % {"where": _where(student)},
          dedupe=f"plan:{plan.pk}:opened")
    return plan


def _record_on_warning(*, actor, warning: Warning, plan: CasePlan) -> None:
    """A plan opened from an assessed warning is its intervention (干预): the warning moves into intervention
    through the warnings app's own step, when the actor may take it. Otherwise the plan only links the warning."""
    warning = Warning.objects.get(pk=warning.pk)
    if warning.state != alert_states.ASSESSED:
        return
    if roles.ALERT_ASSESS not in scope.ordinary_permissions(actor, warning.student):
        return
    try:
        alert_services.warning_start_intervention(
            warning=warning, actor=actor, reason=_("Plan (一生一策) #%(id)s opened.") % {"id": plan.pk})
    except (alert_services.WarningError, PermissionDenied):
        pass  # someone moved the warning a moment ago, or it is out of the actor's warning view: the link stands


@transaction.atomic
def plan_update(*, actor, plan: CasePlan, goals: str, assessment: str, lead, mentor=None,
                next_review_on: date | None = None) -> CasePlan:
    """Edit the plan's goals, assessment, lead, mentor and next review date."""
    _require_plan_permission(actor, plan.student)
    plan = _lock(plan)
    _require_open(plan)
    student = plan.student
    _require_staff(lead, student, what=_("case lead"))
    if mentor is not None and mentor.pk != plan.mentor_id:
        _require_staff(mentor, student, what=_("mentor"))
    plan.goals = _text(goals, required=True, missing=_("Write the plan's goals."))
    plan.assessment = _text(assessment, required=False)
    if next_review_on != plan.next_review_on:
        _future_date(next_review_on, what=_("next review"))
    newly_named = {lead.pk if lead.pk != plan.lead_id else None,
                   mentor.pk if mentor is not None and mentor.pk != plan.mentor_id else None} - {actor.pk, None}
    plan.lead, plan.mentor, plan.next_review_on = lead, mentor, next_review_on
    plan.save(update_fields=["goals", "assessment", "lead", "mentor", "next_review_on"])
    _tell(recipient_ids=newly_named, plan=plan, kind="named",
          subject=lambda: _("A plan (一生一策) names you · %(where)s") % {"where": _where(student)},
          dedupe=f"plan:{plan.pk}:named:{timezone.now().timestamp()}")
    return plan


# ------------------------------------------------------------------------------------------------- actions

@transaction.atomic
def action_add(*, actor, plan: CasePlan, step: str, description: str, responsible, due_on: date | None = None
               ) -> PlanAction:
    """Add an action under one of the six steps, with the person responsible and a due date."""
    _require_plan_permission(actor, plan.student)
    plan = _lock(plan)
    _require_open(plan)
    if step not in Step.values:
        raise PlanError(_("Choose one of the six steps."))
    description = _text(description, required=True, missing=_("Describe the action."))
    _require_staff(responsible, plan.student, what=_("person responsible"))
    _future_date(due_on, what=_("action"), required=False)
    action = PlanAction.objects.create(plan=plan, step=step, description=description, responsible=responsible,
                                       due_on=due_on)
    if responsible.pk != actor.pk:
        def subject() -> str:
            values = {"step": Step(step).label, "where": _where(plan.student)}
            if due_on:
                return _("Plan action for you: %(step)s · %(where)s · due %(due)s") % {**values,
                                                                                      "due": due_on.isoformat()}
            return _("Plan action for you: %(step)s · %(where)s") % values

        _tell(recipient_ids=[responsible.pk], plan=plan, kind="action", subject=subject,
              dedupe=f"plan:{plan.pk}:action:{action.pk}")
    return action


def may_mark_done(actor, action: PlanAction) -> bool:
    """The person responsible, or a case.plan holder for the student."""
    if actor is None:
        return False
    if action.responsible_id == actor.pk and plan_selectors.is_case_staff(actor, action.plan.student):
        return True
    return roles.CASE_PLAN in scope.ordinary_permissions(actor, action.plan.student)


@transaction.atomic
def action_done(*, actor, action: PlanAction, outcome: str) -> PlanAction:
    """Record an action as done, with what came of it."""
    action = PlanAction.objects.select_related("plan__student").get(pk=action.pk)
    if not may_mark_done(actor, action):
        raise PermissionDenied("not responsible for this action")
    _lock(action.plan)  # actions of one plan change one at a time: the check below holds until commit
    _require_open(action.plan)
    outcome = _text(outcome, required=True, missing=_("Write what came of the action."))
    action.refresh_from_db(fields=["done_at"])
    if action.done_at is not None:
        raise PlanError(_("This action has already been recorded as done."))
    action.done_at, action.done_by, action.outcome = timezone.now(), actor, outcome
    action.save(update_fields=["done_at", "done_by", "outcome"])  # a save: the change log records it
    return action


# ------------------------------------------------------------------------------------------------- reviews

@transaction.atomic
def review_add(*, actor, plan: CasePlan, progress: str, next_review_on: date | None = None) -> PlanReview:
    """Record a review of the plan (progress) and set the next review date (default: the level's frequency)."""
    _require_plan_permission(actor, plan.student)
    plan = _lock(plan)
    _require_open(plan)
    progress = _text(progress, required=True, missing=_("Write the progress since the last review."))
    if next_review_on is None:
        next_review_on = default_next_review(plan.warning)
    _future_date(next_review_on, what=_("next review"))
    review = PlanReview.objects.create(plan=plan, reviewed_at=timezone.now(), reviewed_by=actor, progress=progress,
                                       next_review_on=next_review_on)
    plan.next_review_on = next_review_on
    plan.save(update_fields=["next_review_on"])
    return review


# --------------------------------------------------------------------------------------------------- close

@transaction.atomic
def plan_close(*, actor, plan: CasePlan, summary: str, close_open_actions: bool = False) -> CasePlan:
    """Close the plan with a summary. While actions are still open the plan is not closed unless the closer
    confirms them: they are then written into the summary as "open at closing" (never marked done), leave the
    responsible people's lists with the plan, and the active peer watches end."""
    _require_plan_permission(actor, plan.student)
    plan = _lock(plan)
    _require_open(plan)
    summary = _text(summary, required=True, missing=_("Write the closing summary: what was achieved and what "
                                                      "happens next."))
    open_actions = list(plan.actions.filter(done_at__isnull=True).select_related("responsible").order_by("pk"))
    if open_actions and not close_open_actions:
        raise PlanError(
            _("%(n)s action(s) are still open: %(list)s. Mark them done, or confirm that the plan closes with "
              "them open.") % {"n": len(open_actions),
                               "list": "; ".join(f"{Step(a.step).label} ({a.responsible})" for a in open_actions)})
    if open_actions:
        lines = "\n".join(f"- {Step(a.step).label}: {a.description} ({a.responsible})" for a in open_actions)
        summary = f"{summary}\n\n{_('Open at closing:')}\n{lines}"
    now = timezone.now()
    plan.status, plan.closed_at, plan.closed_by, plan.closing_summary = CasePlan.Status.CLOSED, now, actor, summary
    plan.save(update_fields=["status", "closed_at", "closed_by", "closing_summary"])
    for watch in PeerWatch.objects.filter(plan=plan, ended_at__isnull=True):
        watch.ended_at = now
        watch.save(update_fields=["ended_at"])
    _tell(recipient_ids={plan.lead_id, plan.mentor_id, *(a.responsible_id for a in open_actions)} - {actor.pk},
          plan=plan, kind="closed",
          subject=lambda: _("A plan (一生一策) was closed · %(where)s") % {"where": _where(plan.student)},
          dedupe=f"plan:{plan.pk}:closed")
    return plan


# ---------------------------------------------------------------------------------------------- peer watch

def _clinical_word(text: str) -> str | None:
    lowered = text.lower()
    return next((word for word in CLINICAL_WORDS if word in lowered), None)


@transaction.atomic
def peer_watch_assign(*, actor, plan: CasePlan, watcher: Student, task: str) -> PeerWatch:
    """Name a classmate (同伴跟防) with a task: what they do and whom they tell, in words for a child; nothing
    clinical. The watcher sees the task and nothing else of the case (plan_selectors.peer_tasks)."""
    _require_plan_permission(actor, plan.student)
    plan = _lock(plan)
    _require_open(plan)
    student = plan.student
    if watcher is None:
        raise PlanError(_("Choose the classmate."))
    if watcher.pk == student.pk:
        raise PlanError(_("The student cannot watch over themself: choose a classmate."))
    if not student.school_class_id or watcher.school_class_id != student.school_class_id \
            or watcher.status != Student.Status.ENROLLED:
        raise PlanError(_("%(name)s is not an enrolled classmate of the student: a peer watcher is a classmate of "
                          "the same class.") % {"name": watcher.name})
    task = _text(task, required=True, limit=MAX_TASK, missing=_(
        "Write the classmate's task: what they do and whom they tell."))
    word = _clinical_word(task)
    if word:
        raise PlanError(_("The classmate reads this task, so it must not mention “%(word)s”. Write only what they "
                          "do and whom they tell, e.g. “Eat lunch with her; tell 王老师 at once if she seems very "
                          "upset.”") % {"word": word})
    if PeerWatch.objects.filter(plan=plan, watcher=watcher, ended_at__isnull=True).exists():
        raise PlanError(_("%(name)s already has a task in this plan; end it first to give a new one.")
                        % {"name": watcher.name})
    return PeerWatch.objects.create(plan=plan, watcher=watcher, task=task, started_on=timezone.localdate(),
                                    assigned_by=actor)


@transaction.atomic
def peer_watch_end(*, actor, watch: PeerWatch) -> PeerWatch:
    """End a classmate's task: it leaves their list at once."""
    watch = PeerWatch.objects.select_related("plan__student").get(pk=watch.pk)
    _require_plan_permission(actor, watch.plan.student)
    _lock(watch.plan)
    watch.refresh_from_db(fields=["ended_at"])
    if watch.ended_at is not None:
        raise PlanError(_("This task has already ended."))
    watch.ended_at = timezone.now()
    watch.save(update_fields=["ended_at"])
    return watch


# ---------------------------------------------------------------------------------------------- follow-ups

@transaction.atomic
def plan_follow_up_schedule(*, actor, plan: CasePlan, due_on: date, assigned_to, note: str = "") -> FollowUp:
    """Schedule a follow-up (回访) from the plan; it lands in the warnings app's follow-ups with origin "plan" and
    joins the open warning's history when the plan came from one."""
    _require_plan_permission(actor, plan.student)
    plan = _lock(plan)
    _require_open(plan)
    _future_date(due_on, what=_("follow-up"))
    _require_staff(assigned_to, plan.student, what=_("person responsible"))
    note = _text(note, required=False, limit=500)
    warning = None
    if plan.warning_id:
        candidate = Warning.objects.get(pk=plan.warning_id)
        if candidate.state in alert_states.OPEN:
            warning = candidate
    follow_up = alert_services.follow_up_schedule(
        student=plan.student, due_on=due_on, origin=FollowUp.Origin.PLAN, origin_id=plan.pk, actor=actor,
        warning=warning, assigned_to=assigned_to, note=note)
    if assigned_to.pk != actor.pk:
        _tell(recipient_ids=[assigned_to.pk], plan=plan, kind="follow_up",
              subject=lambda: _("Follow-up visit (回访) for you · %(where)s · due %(due)s")
              % {"where": _where(plan.student), "due": due_on.isoformat()},
              dedupe=f"plan:{plan.pk}:follow_up:{follow_up.pk}")
    return follow_up

"""Reads about plans (一生一策). Every function takes the acting user; visibility builds on the scoping layer.

Who sees what of a plan:
  - a plan exists, its lead, mentor, status and review dates: whoever may open the student's file (case.file:
    the head teacher of the class, the grade leader, the school's care team, the district centre, the paired
    mentor …);
  - its content (assessment, goals, every action, review notes, peer watchers, follow-ups, closing summary):
    case.plan holders for the student (psychology teacher, school leader, centre staff);
  - an action's description and outcome also to the person responsible for it (their own actions only);
  - a peer watcher (a student): their own active tasks (task, whom to tell, since when), nothing else.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.alerts.models import FollowUp
from runxin.org.models import OrgUnit
from runxin.people import selectors as people_selectors
from runxin.people.models import MentorPair, Student
from runxin.timeline import Entry

from .models import CasePlan, PeerWatch, PlanAction, PlanReview

Step = PlanAction.Step
STEPS = list(Step)

# The roles that open a student's file, by how they reach the student (see access/roles.py).
_FILE_SUBTREE = tuple(sorted(code for code, role in roles.ROLES.items()
                             if roles.CASE_FILE in role.permissions and role.reach == "subtree"))
_FILE_PAIRED = tuple(sorted(code for code, role in roles.ROLES.items()
                            if roles.CASE_FILE in role.permissions and role.reach == "paired"))


# ------------------------------------------------------------------------------------ people given work

def is_case_staff(user, student: Student) -> bool:
    """Whether this user can be given work on the student's plan: an active staff member who may open the
    student's file through their own roles (class, grade, school, district or city centre, paired mentor)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return roles.CASE_FILE in scope.ordinary_permissions(user, student)


def staff_for_student(student: Student) -> list:
    """The people who can be given work on the student's plan (lead, mentor, responsible for an action, a
    follow-up): the same rule as is_case_staff, as one query."""
    current = people_selectors.assignments_in_force()
    units = [u for u in (student.school_class_id, student.grade_id, student.school_id, student.district_id,
                         student.city_id) if u]
    subtree = current.filter(role__in=_FILE_SUBTREE, org_unit_id__in=units).values("user_id")
    paired = current.filter(role__in=_FILE_PAIRED, user_id__in=MentorPair.objects.filter(
        student_id=student.pk, is_active=True).values("mentor_id")).values("user_id")
    return list(get_user_model().objects.filter(is_active=True).filter(Q(pk__in=subtree) | Q(pk__in=paired))
                .order_by("display_name", "username")[:300])


def staff_member(student: Student, user_id) -> object | None:
    """One of staff_for_student by id (a form's choice), or None."""
    return next((u for u in staff_for_student(student) if str(u.pk) == str(user_id)), None)


# ---------------------------------------------------------------------------------------------- visibility

def plans_visible(user) -> QuerySet[CasePlan]:
    """Plans of the students whose file the user may open."""
    if not scope.has_permission(user, roles.CASE_FILE):
        return CasePlan.objects.none()
    return CasePlan.objects.filter(student__in=scope.students(user, roles.CASE_FILE))


def plan_or_404(user, plan_id: int) -> CasePlan:
    try:
        return (plans_visible(user)
                .select_related("student__school", "student__school_class", "school", "lead", "mentor",
                                "opened_by", "closed_by", "warning__level")
                .get(pk=plan_id))
    except (CasePlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such plan") from None


@dataclass(frozen=True)
class PlanAccess:
    held: frozenset[str]
    full: bool  # case.plan: the plan's content and every step on it
    user_id: int

    @property
    def may_edit(self) -> bool:
        return self.full


def plan_access(user, plan: CasePlan) -> PlanAccess:
    held = frozenset(scope.ordinary_permissions(user, plan.student))
    return PlanAccess(held=held, full=roles.CASE_PLAN in held, user_id=user.pk)


def _today() -> date:
    return timezone.localdate()


def plan_list(user, *, status: str = "", school_id: int | None = None) -> QuerySet[CasePlan]:
    """Plans in reach: open ones first, those whose review is overdue first among them, then by next review."""
    today = _today()
    qs = plans_visible(user)
    if status in CasePlan.Status.values:
        qs = qs.filter(status=status)
    if school_id:
        qs = qs.filter(school_id=school_id)
    return (qs.select_related("student__school", "student__school_class", "lead", "mentor")
            .annotate(rank=Case(
                When(status=CasePlan.Status.OPEN, next_review_on__lt=today, then=Value(0)),
                When(status=CasePlan.Status.OPEN, then=Value(1)),
                default=Value(2), output_field=IntegerField()))
            .order_by("rank", "next_review_on", "-opened_at", "-pk"))


def plan_schools(user) -> list[OrgUnit]:
    """The schools of the plans in reach (the list's filter)."""
    return list(OrgUnit.objects.filter(pk__in=plans_visible(user).values("school_id")).order_by("name")[:200])


def plans_due_for_review(user, *, within_days: int = 3, limit: int = 50) -> list[CasePlan]:
    """Open plans the user reviews (case.plan) or leads whose review is overdue or due within `within_days`,
    most overdue first."""
    until = _today() + timedelta(days=within_days)
    reviewable = Q(student__in=scope.students(user, roles.CASE_PLAN)) | Q(lead_id=user.pk)
    return list(plans_visible(user).filter(reviewable, status=CasePlan.Status.OPEN, next_review_on__lte=until)
                .select_related("student__school_class", "lead").order_by("next_review_on", "pk")[:limit])


def open_plan_of(user, student: Student) -> CasePlan | None:
    return plans_visible(user).filter(student=student, status=CasePlan.Status.OPEN).first()


# ------------------------------------------------------------------------------------------- my actions

def my_actions(user, *, limit: int = 50) -> list[PlanAction]:
    """Open actions of open plans for which the user is responsible, overdue first, then by due date (undated
    last). Each carries `.overdue` (bool) and `.plan.student` (name, class) for a home-page list."""
    if not scope.has_permission(user, roles.CASE_FILE):
        return []
    today = _today()
    rows = list(
        PlanAction.objects.filter(responsible_id=user.pk, done_at__isnull=True, plan__status=CasePlan.Status.OPEN,
                                  plan__student__in=scope.students(user, roles.CASE_FILE))
        .select_related("plan__student__school_class", "plan__student__school")
        .annotate(rank=Case(When(due_on__lt=today, then=Value(0)), When(due_on__isnull=False, then=Value(1)),
                            default=Value(2), output_field=IntegerField()))
        .order_by("rank", "due_on", "pk")[:limit])
    for action in rows:
        action.overdue = action.due_on is not None and action.due_on < today
    return rows


# ------------------------------------------------------------------------------------------- the plan page

@dataclass
class StepSection:
    code: str
    label: str
    actions: list[PlanAction] = field(default_factory=list)


def plan_page(user, plan: CasePlan, access: PlanAccess) -> dict:
    """What the plan page shows this viewer. The limited view (no case.plan) has the header, the viewer's own
    actions, review dates without notes and the follow-ups assigned to the viewer."""
    today = _today()
    actions = plan.actions.select_related("responsible", "done_by").order_by("due_on", "pk")
    if not access.full:
        actions = actions.filter(responsible_id=user.pk)
    sections = {code: StepSection(code=code, label=str(label)) for code, label in Step.choices}
    for action in actions:
        action.overdue = action.done_at is None and action.due_on is not None and action.due_on < today
        sections[action.step].actions.append(action)
    reviews = list(plan.reviews.select_related("reviewed_by"))
    follow_ups = FollowUp.objects.filter(origin=FollowUp.Origin.PLAN, origin_id=plan.pk).select_related(
        "assigned_to", "done_by").order_by("due_on", "pk")
    if not access.full:
        follow_ups = follow_ups.filter(assigned_to_id=user.pk)
    watches = list(plan.peer_watches.select_related("watcher", "assigned_by").order_by("ended_at", "-started_on")) \
        if access.full else []
    return {
        "sections": list(sections.values()),
        "reviews": reviews,
        "follow_ups": list(follow_ups),
        "watches": [w for w in watches if w.ended_at is None],
        "ended_watches": [w for w in watches if w.ended_at is not None],
        "review_overdue": plan.status == CasePlan.Status.OPEN and plan.next_review_on is not None
        and plan.next_review_on < today,
        "open_actions": sum(1 for s in sections.values() for a in s.actions if a.done_at is None),
        "today": today,
    }


def plan_action_or_404(user, plan: CasePlan, action_id: int) -> PlanAction:
    """An action of a plan the user may open (the page's own lookup)."""
    action = plan.actions.filter(pk=action_id).select_related("plan__student", "responsible").first()
    if action is None:
        raise Http404("No such action")
    return action


def peer_watch_of(plan: CasePlan, watch_id) -> PeerWatch | None:
    return plan.peer_watches.filter(pk=watch_id).select_related("plan__student").first()


def classmates(user, plan: CasePlan) -> list[Student]:
    """Enrolled classmates of the plan's student in the user's reach: the peer watchers one may name."""
    student = plan.student
    if not student.school_class_id:
        return []
    return list(scope.students(user, roles.CASE_PLAN)
                .filter(school_class_id=student.school_class_id, status=Student.Status.ENROLLED)
                .exclude(pk=student.pk).order_by("name", "pk")[:80])


def classmate(user, plan: CasePlan, student_id) -> Student | None:
    return next((s for s in classmates(user, plan) if str(s.pk) == str(student_id)), None)


# --------------------------------------------------------------------------------- the peer watcher's tasks

@dataclass(frozen=True)
class PeerTask:
    task: str
    tell: str  # the teacher who gave the task: whom to tell
    started_on: date


def peer_tasks(user) -> list[PeerTask]:
    """A student's own active peer-watch tasks (同伴跟防): the task, whom to tell, since when. Nothing about the
    classmate's case: no level, no plan, no other watcher."""
    student_ids = [g.student_id for g in scope.grants(user)
                   if roles.PEER_WATCH_TASK in g.permissions and g.reach == "self" and g.student_id]
    if not student_ids:
        return []
    rows = (PeerWatch.objects.filter(watcher_id__in=student_ids, ended_at__isnull=True,
                                     plan__status=CasePlan.Status.OPEN)
            .select_related("assigned_by").order_by("-started_on", "-pk")[:20])
    return [PeerTask(task=w.task, tell=str(w.assigned_by), started_on=w.started_on) for w in rows]


# ------------------------------------------------------------------------------------------ the student's file

def _actor(user) -> str:
    return str(user) if user is not None else ""


def file_entries(user, student: Student, held) -> list[Entry]:
    """The plan's entries in the student's file (一人一档): opened, reviewed, actions done, closed. `held` is
    scope.permissions_for_student(user, student). With case.file one sees that it happened, when and by whom;
    the goals, review notes, action descriptions and closing summary only with case.plan (and an action's text
    also by the person responsible for it)."""
    if roles.CASE_FILE not in held:
        return []
    full = roles.CASE_PLAN in held
    plans = list(CasePlan.objects.filter(student=student).select_related("lead", "opened_by", "closed_by",
                                                                           "warning__level"))
    if not plans:
        return []
    entries: list[Entry] = []
    by_id = {p.pk: p for p in plans}
    for plan in plans:
        url = reverse("cases:plan", kwargs={"plan_id": plan.pk})
        badges = (str(CasePlan.Status(plan.status).label),)
        entries.append(Entry(
            at=plan.opened_at, kind="plan",
            title=_("Plan (一生一策) opened · lead %(lead)s") % {"lead": plan.lead}
            + (" · " + _("from warning #%(id)s") % {"id": plan.warning_id} if plan.warning_id else ""),
            detail=plan.goals if full else "", url=url, actor=_actor(plan.opened_by), badges=badges))
        if plan.closed_at:
            entries.append(Entry(at=plan.closed_at, kind="plan", title=_("Plan (一生一策) closed"),
                                 detail=plan.closing_summary if full else "", url=url,
                                 actor=_actor(plan.closed_by)))
    for review in PlanReview.objects.filter(plan_id__in=by_id).select_related("reviewed_by"):
        title = _("Plan reviewed")
        if review.next_review_on:
            title += " · " + _("next review %(date)s") % {"date": review.next_review_on.isoformat()}
        entries.append(Entry(at=review.reviewed_at, kind="plan", title=title,
                             detail=review.progress if full else "",
                             url=reverse("cases:plan", kwargs={"plan_id": review.plan_id}),
                             actor=_actor(review.reviewed_by)))
    done = PlanAction.objects.filter(plan_id__in=by_id, done_at__isnull=False).select_related("done_by")
    for action in done:
        readable = full or action.responsible_id == user.pk
        entries.append(Entry(
            at=action.done_at, kind="plan",
            title=_("Plan action done · %(step)s") % {"step": Step(action.step).label},
            detail=(f"{action.description}\n→ {action.outcome}" if readable else ""),
            url=reverse("cases:plan", kwargs={"plan_id": action.plan_id}), actor=_actor(action.done_by)))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries

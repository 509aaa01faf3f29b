"""Reads about warnings. Every function takes the acting user; visibility builds on the scoping layer.

Who sees which warning:
  - nobody sees a warning about a student outside scope.students(user, STUDENT_RISK_LEVEL);
  - school-side roles (ALERT_VIEW_ALL: head teacher, mentor, psychology teacher, school leader) see every
    warning about the students they reach — a head teacher therefore only their own class's;
  - centre staff (ALERT_ESCALATED) see a warning once it has been escalated to their tier (a district
    centre: district or city; the city centre: city), and at once when its level is visible to centres
    (red, by default: visible to the district and city crisis staff from the moment it is raised);
  - anyone sees the warnings they reported themselves, as long as the student is in their scope (hotline);
  - peer reporters, parents and students hold no STUDENT_RISK_LEVEL and see none.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from runxin.access import roles, scope

from . import clock, states
from .models import FollowUp, Warning, WarningEvent, WarningReport

PAGE_SIZE = 50
_CENTRE_COLUMN = {"district": "student__district_id", "city": "student__city_id"}


def warnings_visible(user) -> QuerySet[Warning]:
    if not scope.has_permission(user, roles.STUDENT_RISK_LEVEL):
        return Warning.objects.none()
    reach = scope.students(user, roles.STUDENT_RISK_LEVEL)
    condition = Q(id__in=WarningReport.objects.filter(reported_by_id=user.pk).values("warning_id"))
    if scope.has_permission(user, roles.ALERT_VIEW_ALL):
        condition |= Q(student__in=scope.students(user, roles.ALERT_VIEW_ALL))
    for grant in scope.grants(user):
        if roles.ALERT_ESCALATED in grant.permissions and grant.unit_kind in _CENTRE_COLUMN:
            reached = states.TIER_OF_UNIT_KIND[grant.unit_kind]
            condition |= Q(**{_CENTRE_COLUMN[grant.unit_kind]: grant.unit_id}) & (
                Q(tier__gte=reached) | Q(level__visible_to_centres=True))
    return Warning.objects.filter(student__in=reach).filter(condition)


def warning_or_404(user, warning_id: int) -> Warning:
    try:
        return (warnings_visible(user)
                .select_related("level", "student__school", "student__school_class", "raised_by",
                                "clear_requested_by")
                .get(pk=warning_id))
    except (Warning.DoesNotExist, ValueError, TypeError):
        raise Http404("No such warning") from None


# ------------------------------------------------------------------------------------------------- queue

@dataclass
class QueuePage:
    rows: list[Warning]
    number: int
    has_next: bool
    total: int
    now: datetime


AGE_CHOICES = {"1": 1, "3": 3, "7": 7, "30": 30}


def queue(user, *, level: str = "", state: str = "", age: str = "", overdue: bool = False,
          include_closed: bool = False, mine: bool = False) -> QuerySet[Warning]:
    """"My warnings to handle": the visible warnings, filtered by level, state and age (days since raised),
    overdue ones first, then by severity and age."""
    now = clock.now()
    qs = warnings_visible(user)
    if state:
        qs = qs.filter(state=state)
    elif not include_closed:
        qs = qs.filter(state__in=states.OPEN)
    if level:
        qs = qs.filter(level__code=level)
    if age in AGE_CHOICES:
        qs = qs.filter(raised_at__lte=now - timedelta(days=AGE_CHOICES[age]))
    if overdue:
        qs = qs.filter(due_at__lte=now)
    if mine:
        qs = qs.filter(ack_pending=True)
    return qs


def queue_page(qs: QuerySet[Warning], number: int) -> QueuePage:
    now = clock.now()
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    top = _top_severity()
    # A new warning of the most severe level never waits behind older cases; then by time left.
    ordered = qs.annotate(
        overdue=Case(When(due_at__lte=now, then=Value(1)), default=Value(0), output_field=IntegerField()),
        pending_top=Case(When(ack_pending=True, level__severity=top, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
        follow_up_due=Exists(FollowUp.objects.filter(warning=OuterRef("pk"), done_at__isnull=True,
                                                     due_on__lte=timezone.localdate(now))),
    ).select_related("level", "student__school", "student__school_class").order_by(
        "-pending_top", F("due_at").asc(nulls_last=True), "-level__severity", "raised_at", "id")
    rows = list(ordered[start:start + PAGE_SIZE + 1])
    total = qs.order_by().count()
    return QueuePage(rows=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE, total=total, now=now)


# ----------------------------------------------------------------------------------------- one warning

def history(warning: Warning) -> list[WarningEvent]:
    return list(warning.events.select_related("actor", "from_level", "to_level").order_by("at", "id"))


def reports(warning: Warning) -> list[WarningReport]:
    return list(warning.reports.select_related("reported_by", "suggested_level").order_by("reported_at", "id"))


def follow_ups(warning: Warning) -> list[FollowUp]:
    return list(warning.follow_ups.select_related("done_by", "assigned_to").order_by("due_on", "id"))


def student_warnings(user, student_id: int) -> list[Warning]:
    """Every visible warning about one student, newest first (the student's earlier warnings on a page)."""
    return list(warnings_visible(user).filter(student_id=student_id).select_related("level").order_by("-raised_at"))


# -------------------------------------------------------------------------------------- what one may do

def available_actions(user, warning: Warning, held: set[str]) -> set[str]:
    """The steps this user may take on this warning now (the services check again when they are taken)."""
    from . import services

    found: set[str] = set()
    state = warning.state
    allowed = set(states.allowed_actions(state))
    if roles.ALERT_HANDLE in held:
        if (state == states.RAISED or (warning.ack_pending and state in states.ACKNOWLEDGEABLE)) and \
                services.may_acknowledge(user, warning):
            found.add("acknowledge")
        if state == states.CLEARED:
            found.add("follow_up")
        if state in states.CURRENT:
            found.add("visit")
        if state in states.OPEN:
            found.add("schedule_follow_up")
    if roles.ALERT_HAND_UP in held and state in services.HAND_UP_STATES and warning.handed_up_at is None:
        found.add("hand_up")
    if roles.ALERT_ASSESS in held and services.may_accept_hand_up(user, warning):
        found.add("accept_hand_up")
    if roles.ALERT_ASSESS in held:
        found |= allowed & {"assess", "dismiss", "start_intervention", "monitor", "request_clear",
                            "return_to_normal", "reopen"}
        if state in states.LEVEL_CHANGEABLE:
            found.add("change_level")
        if state in states.CURRENT:
            found.add("referral")
    if roles.ALERT_APPROVE_CLEAR in held and state == states.CLEAR_REQUESTED:
        if services.may_approve_clear(user, warning) and warning.clear_requested_by_id != user.pk:
            found |= {"approve_clear", "reject_clear"}
    return found


# ------------------------------------------------------------------------------------- 需要我处理 (my work)

# The steps that are "mine to do now", most urgent kind first when two are open on one warning.
WORK_STEPS = ("acknowledge", "accept_hand_up", "assess", "start_intervention")
WORK_CANDIDATES = 300  # a person with more than this many open steps sees the most urgent ones first


@dataclass
class WorkItem:
    warning: Warning
    step: str
    due_at: datetime | None
    overdue: bool
    critical: bool  # the most severe level, not yet acknowledged: always first

    @property
    def seconds_left(self) -> int | None:
        return None if self.due_at is None else int((self.due_at - clock.now()).total_seconds())


@dataclass
class MyWork:
    act_now: list[WorkItem]
    approvals: list[WorkItem]
    follow_ups: list[FollowUp]
    monitoring: list[Warning]
    now: datetime

    @property
    def count(self) -> int:
        return len(self.act_now) + len(self.approvals) + len(self.follow_ups)


def _top_severity() -> int | None:
    from .models import WarningLevel

    return WarningLevel.objects.filter(is_active=True).order_by("-severity").values_list("severity", flat=True).first()


def _mine(user, warning: Warning) -> str | None:
    """The step on this warning that is this user's to take now, or None. Centre staff take a step once the
    warning has reached their tier (escalated on the timer or handed up to them); the school team keeps its
    steps whatever the tier."""
    held = scope.ordinary_permissions(user, warning.student)
    actions = available_actions(user, warning, held)
    steps = [step for step in WORK_STEPS if step in actions]
    if not steps:
        return None
    from . import network

    acting = [tier for tier, _role in network.acting_roles(user, warning.student, roles.ALERT_QUEUE)]
    if acting and min(acting) >= states.DISTRICT and warning.tier < states.DISTRICT:
        # A red still with the school: the school acts first; the centre watches it in its list.
        return None
    return steps[0]


def my_work(user, *, limit: int = 100) -> MyWork:
    """What this person must do now (需要我处理): the warnings waiting for their step, ordered by time left
    (a not-yet-acknowledged warning of the most severe level always first); then what waits for their
    approval; then their follow-ups (回访) due within FOLLOW_UP_HORIZON_DAYS, overdue first (my_follow_ups). Long-running cases in intervention or monitoring come after, in
    their own list."""
    now = clock.now()
    top = _top_severity()
    visible = warnings_visible(user).select_related("level", "student__school", "student__school_class")
    candidates = list(
        visible.filter(Q(state__in=states.TIMED) | Q(ack_pending=True)
                       | Q(handed_up_at__isnull=False, hand_up_accepted_at__isnull=True))
        .filter(state__in=states.CURRENT)
        .order_by(F("due_at").asc(nulls_last=True), "-level__severity", "raised_at")[:WORK_CANDIDATES])
    act_now = []
    for warning in candidates:
        step = _mine(user, warning)
        if step is None:
            continue
        critical = warning.ack_pending and warning.level.severity == top
        # While a hand-up waits for the centre, the warning's clock is the centre's (accept by …): the school team
        # may go on with its step, but the countdown is not theirs and would tell them it was.
        theirs = step == "accept_hand_up" or not warning.handed_up_at or warning.hand_up_accepted_at
        act_now.append(WorkItem(warning, step, warning.due_at if theirs else None,
                                bool(theirs) and warning.is_overdue(now), critical))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    act_now.sort(key=lambda item: (not item.critical, item.due_at or far))
    approvals = []
    if scope.has_permission(user, roles.ALERT_APPROVE_CLEAR):
        for warning in visible.filter(state=states.CLEAR_REQUESTED).exclude(clear_requested_by_id=user.pk) \
                .order_by("last_event_at")[:WORK_CANDIDATES]:
            from . import services

            if services.may_approve_clear(user, warning):
                approvals.append(WorkItem(warning, "approve_clear", None, False, False))
    follow_ups = list(my_follow_ups(user, due_by=timezone.localdate(now) + timedelta(days=FOLLOW_UP_HORIZON_DAYS))
                      [:limit])
    monitoring = list(visible.filter(state__in=(states.INTERVENTION, states.MONITORING, states.CLEAR_REQUESTED))
                      .exclude(pk__in=[item.warning.pk for item in act_now])
                      .order_by("-level__severity", "raised_at")[:limit])
    return MyWork(act_now=act_now[:limit], approvals=approvals[:limit], follow_ups=follow_ups,
                  monitoring=monitoring, now=now)


def work_students(work: MyWork) -> list[tuple[int, int | str]]:
    """(student id, record id) for every warning and follow-up a "needs me now" list shows: what its read audit
    records."""
    warnings = [item.warning for item in work.act_now + work.approvals]
    return [(w.student_id, w.pk) for w in warnings + list(work.monitoring)] + [
        (f.student_id, f"follow_up:{f.pk}") for f in work.follow_ups]


# ------------------------------------------------------------------------------ what a lay reporter is told

RECEIVED, BEING_HANDLED, CLOSED = "received", "being_handled", "closed"
_REPORTER_STATUS = {states.RAISED: RECEIVED, states.CLEARED: CLOSED, states.CLOSED: CLOSED, states.DISMISSED: CLOSED}


@dataclass(frozen=True)
class ReportStatus:
    """One concern a parent reported, as the parent may see it: when, about which child, and only "received /
    being handled / closed" – never the level, the state, the notes or who handles it."""

    reported_at: datetime
    student_id: int
    status: str


def reports_status_of(user, student_ids, *, limit: int = 20) -> list[ReportStatus]:
    """The concerns `user` reported about these students (a parent's own children, as the scoping layer gave
    them), newest first, each with its lay status."""
    rows = (WarningReport.objects.filter(reported_by_id=user.pk, warning__student_id__in=list(student_ids))
            .order_by("-reported_at", "-id").values_list("reported_at", "warning__student_id", "warning__state")
            [:limit])
    return [ReportStatus(at, student_id, _REPORTER_STATUS.get(state, BEING_HANDLED)) for at, student_id, state in rows]


# --------------------------------------------------------------------------------------------- follow-ups (回访)

FOLLOW_UP_HORIZON_DAYS = 7  # "needs me now" lists the follow-ups due within a week, overdue ones first


def follow_ups_visible(user) -> QuerySet[FollowUp]:
    """Follow-ups about students the user reaches at risk level (STUDENT_RISK_LEVEL) and either handles
    (ALERT_HANDLE: the head teacher, grade leader, school team, district and city centres) or sees every warning
    of (ALERT_VIEW_ALL: a mentor's paired students), plus any follow-up assigned to the user. A follow-up tells
    that a student is being followed up, when and by whom; its note is for the care team (the pages decide)."""
    if not scope.has_permission(user, roles.STUDENT_RISK_LEVEL):
        return FollowUp.objects.none()
    reach = scope.students(user, roles.STUDENT_RISK_LEVEL)
    condition = Q(assigned_to_id=user.pk)
    for permission in (roles.ALERT_HANDLE, roles.ALERT_VIEW_ALL):
        if scope.has_permission(user, permission):
            condition |= Q(student__in=scope.students(user, permission))
    return FollowUp.objects.filter(student__in=reach).filter(condition)


def follow_up_or_404(user, follow_up_id: int) -> FollowUp:
    try:
        return (follow_ups_visible(user)
                .select_related("student__school", "student__school_class", "warning__level", "assigned_to",
                                "done_by")
                .get(pk=follow_up_id))
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise Http404("No such follow-up") from None


def _open_first(qs: QuerySet[FollowUp], today) -> QuerySet[FollowUp]:
    """Overdue first (the longest overdue at the top), then the soonest due."""
    return qs.annotate(overdue=Case(When(due_on__lt=today, then=Value(1)), default=Value(0),
                                    output_field=IntegerField())
                       ).order_by("-overdue", "due_on", "id")


def my_follow_ups(user, *, due_by=None) -> QuerySet[FollowUp]:
    """The follow-ups that are mine to do: assigned to me (whatever scheduled them), and those nobody was named
    for on the open warnings I handle. Overdue first, then the soonest due; `due_by` leaves out later ones."""
    today = timezone.localdate(clock.now())
    condition = Q(assigned_to_id=user.pk)
    if scope.has_permission(user, roles.ALERT_HANDLE):
        handled = warnings_visible(user).filter(state__in=states.OPEN,
                                                student__in=scope.students(user, roles.ALERT_HANDLE))
        condition |= Q(assigned_to__isnull=True, warning__in=handled)
    qs = follow_ups_visible(user).filter(condition, done_at__isnull=True)
    if due_by is not None:
        qs = qs.filter(due_on__lte=due_by)
    return _open_first(qs, today).select_related("student__school", "student__school_class", "warning__level",
                                                 "assigned_to")


FOLLOW_UP_LISTS = ("mine", "reach", "overdue", "done")


def follow_up_list(user, show: str = "mine", *, limit: int = 300) -> list[FollowUp]:
    """The follow-ups page: mine; every open one in reach; the overdue ones in reach; the last ones done."""
    today = timezone.localdate(clock.now())
    related = ("student__school", "student__school_class", "warning__level", "assigned_to", "done_by")
    if show == "done":
        return list(follow_ups_visible(user).filter(done_at__isnull=False).select_related(*related)
                    .order_by("-done_at", "-id")[:limit])
    if show == "mine":
        return list(my_follow_ups(user)[:limit])
    qs = follow_ups_visible(user).filter(done_at__isnull=True)
    if show == "overdue":
        qs = qs.filter(due_on__lt=today)
    return list(_open_first(qs, today).select_related(*related)[:limit])


@dataclass
class FollowUpFigures:
    """Follow-ups of one school: open and not yet due past today, done in the window, overdue (open, due before
    today), and escalated among the overdue."""

    unit_id: int | None
    name: str
    due: int = 0
    done: int = 0
    overdue: int = 0
    escalated: int = 0


_FIGURE_COLUMN = {"city": "student__city_id", "district": "student__district_id", "school": "student__school_id"}


def follow_up_figures(unit, *, since=None, today=None) -> tuple[FollowUpFigures, list[FollowUpFigures]]:
    """Due, done and overdue follow-ups of the students under a city, district or school, in total and per school
    (for the leaders' and the district's dashboards): one grouped query. `done` counts those done since `since`
    (default: 30 days ago). Counts only: the caller has checked the user may see the unit's figures."""
    from django.db.models import Count

    from runxin.org.models import OrgUnit

    today = today or timezone.localdate(clock.now())
    since = since or today - timedelta(days=30)
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    column = _FIGURE_COLUMN[unit.kind]
    counts = {
        "due": Count("id", filter=Q(done_at__isnull=True, due_on__gte=today)),
        "done": Count("id", filter=Q(done_at__gte=start)),
        "overdue": Count("id", filter=Q(done_at__isnull=True, due_on__lt=today)),
        "escalated": Count("id", filter=Q(done_at__isnull=True, due_on__lt=today, escalated_at__isnull=False)),
    }
    rows = list(FollowUp.objects.filter(**{column: unit.pk}).filter(Q(done_at__isnull=True) | Q(done_at__gte=start))
                .values("student__school_id").annotate(**counts).order_by())
    names = dict(OrgUnit.objects.filter(pk__in=[r["student__school_id"] for r in rows if r["student__school_id"]])
                 .values_list("id", "name"))
    schools = sorted((FollowUpFigures(r["student__school_id"], names.get(r["student__school_id"], "—"),
                                      r["due"], r["done"], r["overdue"], r["escalated"]) for r in rows),
                     key=lambda f: (-f.overdue, f.name))
    total = FollowUpFigures(unit.pk, unit.name, *(sum(getattr(f, k) for f in schools)
                                                  for k in ("due", "done", "overdue", "escalated")))
    return total, schools


def follow_up_figure_units(user) -> list:
    """The cities, districts and schools whose follow-up figures the user sees (ALERT_OVERVIEW roots)."""
    return [u for u in scope.root_units(user, roles.ALERT_OVERVIEW) if u.kind in _FIGURE_COLUMN]


def my_last_help_request(user, *, days: int = 14) -> datetime | None:
    """When this student last pressed "I need help" (their own reports only), within `days`: their home says it
    arrived, so a student waiting for the teacher is not left wondering and pressing again."""
    since = clock.now() - timedelta(days=days)
    return (WarningReport.objects.filter(reported_by_id=user.pk, source=Warning.Source.SELF, reported_at__gte=since)
            .order_by("-reported_at").values_list("reported_at", flat=True).first())

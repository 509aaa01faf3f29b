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

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
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
    ordered = qs.annotate(
        overdue=Case(When(due_at__lte=now, then=Value(1)), default=Value(0), output_field=IntegerField()),
        follow_up_due=Exists(FollowUp.objects.filter(warning=OuterRef("pk"), done_at__isnull=True,
                                                     due_on__lte=timezone.localdate(now))),
    ).select_related("level", "student__school", "student__school_class").order_by(
        "-overdue", "-level__severity", "raised_at", "id")
    rows = list(ordered[start:start + PAGE_SIZE + 1])
    total = qs.order_by().count()
    return QueuePage(rows=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE, total=total, now=now)


# ----------------------------------------------------------------------------------------- one warning

def history(warning: Warning) -> list[WarningEvent]:
    return list(warning.events.select_related("actor", "from_level", "to_level").order_by("at", "id"))


def reports(warning: Warning) -> list[WarningReport]:
    return list(warning.reports.select_related("reported_by", "suggested_level").order_by("reported_at", "id"))


def follow_ups(warning: Warning) -> list[FollowUp]:
    return list(warning.follow_ups.select_related("done_by").order_by("due_on", "id"))


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
    if roles.ALERT_ASSESS in held:
        found |= allowed & {"assess", "dismiss", "start_intervention", "monitor", "request_clear",
                            "return_to_normal", "reopen"}
        if state in states.LEVEL_CHANGEABLE:
            found.add("change_level")
        if state in states.CURRENT:
            found.add("referral")
    if roles.ALERT_APPROVE_CLEAR in held and state == states.CLEAR_REQUESTED:
        if services.may_approve_clear(user, warning):
            found |= {"approve_clear", "reject_clear"}
    return found

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

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

from . import clock, states
from .models import FollowUp, Warning, WarningEvent, WarningLevel, WarningReport

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


# -------------------------------------------------------------------------------------------- overviews

@dataclass
class Figures:
    current: int = 0
    cleared: int = 0
    revisited: int = 0
    referred: int = 0
    total: int = 0

    def add(self, other: "Figures") -> None:
        for name in ("current", "cleared", "revisited", "referred", "total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


_CHILD = {"city": ("district", "student__district_id"), "district": ("school", "student__school_id"),
          "school": ("class", "student__school_class_id")}
_UNIT_FILTER = {"city": "student__city_id", "district": "student__district_id", "school": "student__school_id",
                "grade": "student__grade_id", "class": "student__school_class_id"}


def overview_units(user) -> list[OrgUnit]:
    """The topmost units whose overview the user may open."""
    return [u for u in scope.root_units(user, roles.ALERT_OVERVIEW) if u.kind in _UNIT_FILTER]


SMALL_COUNT = 5


def suppresses_small_counts(user, unit: OrgUnit) -> bool:
    """Counts under 5 are hidden from people who see aggregates outside need-to-know (a city admin, a
    supervisor): a "1" in a class can name a student. Whoever may see the warnings themselves sees them."""
    return not scope.unit_permission(user, unit, roles.STUDENT_RISK_LEVEL)


def overview_unit_or_404(user, unit_id: int) -> OrgUnit:
    unit = scope.unit_or_404(user, unit_id, roles.ALERT_OVERVIEW)
    if unit.kind not in _UNIT_FILTER:
        raise Http404("No overview for this unit")
    return unit


def overview(unit: OrgUnit) -> dict:
    """The provincial platform's figures (现有预警 currently warned, 预警解除 cleared, 已回访 revisited,
    转介 referred) for every warning under `unit`, by level and by the unit's children. Counts only: callers
    have checked ALERT_OVERVIEW at the unit (overview_unit_or_404)."""
    base = Warning.objects.filter(**{_UNIT_FILTER[unit.kind]: unit.pk})
    child = _CHILD.get(unit.kind)
    group = ["level_id"] + ([child[1]] if child else [])
    rows = base.values(*group).annotate(
        current=Count("id", filter=Q(state__in=states.CURRENT)),
        cleared=Count("id", filter=Q(state__in=states.CLEARED_STATES)),
        revisited=Count("id", filter=Q(revisited_at__isnull=False)),
        referred=Count("id", filter=Q(referred_at__isnull=False)),
        total=Count("id"),
    ).order_by()
    levels = list(WarningLevel.objects.order_by("-severity"))
    by_level = {lv.pk: Figures() for lv in levels}
    by_child: dict[int | None, dict[int, Figures]] = {}
    totals = Figures()
    for row in rows:
        figures = Figures(row["current"], row["cleared"], row["revisited"], row["referred"], row["total"])
        by_level.setdefault(row["level_id"], Figures()).add(figures)
        totals.add(figures)
        if child:
            by_child.setdefault(row[child[1]], {}).setdefault(row["level_id"], Figures()).add(figures)
    children = []
    if child:
        units = OrgUnit.objects.filter(parent_id=unit.pk, kind=child[0]) if child[0] != "class" else \
            OrgUnit.objects.filter(school_id=unit.pk, kind="class")
        names = dict(units.values_list("id", "name"))
        ids = set(names) | {k for k in by_child if k is not None}
        for uid in sorted(ids, key=lambda i: names.get(i, "")):
            per_level = by_child.get(uid, {})
            total = Figures()
            for f in per_level.values():
                total.add(f)
            children.append({"id": uid, "name": names.get(uid, "—"), "kind": child[0], "total": total,
                             "levels": [per_level.get(lv.pk, Figures()) for lv in levels]})
    return {"unit": unit, "levels": [(lv, by_level[lv.pk]) for lv in levels], "totals": totals,
            "children": children, "child_kind": child[0] if child else None}


# ------------------------------------------------------------------------------------------------ export

def export_rows(user, *, since: datetime | None = None, until: datetime | None = None) -> QuerySet[Warning]:
    """Warnings for the provincial crisis platform: every warning about a student the user reaches with
    STUDENT_RISK_LEVEL through a role that may export (centre staff), changed in the window."""
    if not scope.has_permission(user, roles.ALERT_EXPORT):
        return Warning.objects.none()
    qs = Warning.objects.filter(student__in=scope.students(user, roles.ALERT_EXPORT)).filter(
        student__in=scope.students(user, roles.STUDENT_RISK_LEVEL))
    if since:
        qs = qs.filter(last_event_at__gte=since)
    if until:
        qs = qs.filter(last_event_at__lt=until)
    return qs.select_related("level", "student__school", "student__district").order_by("id")


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


# --------------------------------------------------------------------------------------- daily reports

def daily_units(user) -> list[OrgUnit]:
    """The schools and districts whose daily report the user receives: their own school or district; the
    city centre gets every district's (which lists only what centres see)."""
    ids: set[int] = set()
    city_ids: set[int] = set()
    for grant in scope.grants(user):
        if roles.ALERT_DAILY_REPORT not in grant.permissions or grant.unit_id is None:
            continue
        if grant.unit_kind in ("school", "district"):
            ids.add(grant.unit_id)
        elif grant.unit_kind == "city":
            city_ids.add(grant.unit_id)
    qs = OrgUnit.objects.filter(Q(pk__in=ids) | Q(kind=OrgUnit.Kind.DISTRICT, parent_id__in=city_ids))
    return list(qs.filter(is_active=True).order_by("kind", "name"))


def daily_unit_or_404(user, unit_id: int) -> OrgUnit:
    for unit in daily_units(user):
        if unit.pk == unit_id:
            return unit
    raise Http404("No such report")

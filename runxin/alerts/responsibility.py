"""Who must take the next step on a warning, by when, and what happens at the deadline: the card every
warning page opens with. Read-only; the rules for who *may* act live in services.py (may_acknowledge …) and
the level's policy (WarningLevel.ack_roles, clear_tier), and this module names the same people."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from runxin.access import roles

from . import network, states
from .models import Tier, Warning

STEP_LABELS = {
    "acknowledge": gettext_lazy("Acknowledge (接报确认)"),
    "accept_hand_up": gettext_lazy("Accept the case handed up (接收转介)"),
    "assess": gettext_lazy("Assess (心理研判)"),
    "start_intervention": gettext_lazy("Start the intervention plan"),
    "approve_clear": gettext_lazy("Approve or refuse clearing"),
    "follow_up": gettext_lazy("Follow-up visits (回访)"),
    "monitor": gettext_lazy("Intervention and monitoring"),
}

# Roles of the school team who take the professional steps (assess, intervene, hand up).
SCHOOL_CARE = roles.roles_at("school", roles.ALERT_ASSESS)


@dataclass
class Person:
    name: str
    role: str
    phone: str
    unit: str


@dataclass
class NextStep:
    step: str
    label: str
    people: list[Person]
    due_at: datetime | None
    at_deadline: str


def _people(warning: Warning, wanted: dict[int, tuple[str, ...]]) -> list[Person]:
    """The active holders of `wanted` roles at each tier's unit around the student (one query)."""
    student = warning.student
    clauses = Q()
    for tier, role_codes in wanted.items():
        units = [getattr(student, column) for column in network.TIER_COLUMNS[tier] if getattr(student, column)]
        if units and role_codes:
            clauses |= Q(role__in=role_codes, org_unit_id__in=units)
    if not clauses:
        return []
    rows = (network.active_assignments().filter(clauses)
            .values_list("user__display_name", "user__username", "role", "user__phone", "org_unit__name")
            .order_by("org_unit__path", "role", "user__display_name"))
    seen, people = set(), []
    for display, username, role, phone, unit in rows:
        key = (display or username, role)
        if key in seen:
            continue
        seen.add(key)
        people.append(Person(name=display or username, role=roles.role_label(role), phone=phone, unit=unit))
    return people


def _centre(warning: Warning) -> dict[int, tuple[str, ...]]:
    found: dict[int, tuple[str, ...]] = {}
    if warning.tier >= states.DISTRICT:
        found[states.DISTRICT] = ("centre_staff",)
    if warning.tier >= states.CITY:
        found[states.CITY] = ("centre_staff",)
    return found


def _school_roles(role_codes, *, through_grade: bool = False) -> dict[int, tuple[str, ...]]:
    at_class = tuple(r for r in role_codes if r in network.TIER_ROLES[states.CLASS])
    at_grade = tuple(r for r in role_codes if r in network.GRADE_TIER_ROLES)
    at_school = tuple(r for r in role_codes if r not in at_class and r not in at_grade)
    found = {states.CLASS: at_class, states.SCHOOL: at_school}
    if through_grade:
        found[states.GRADE] = at_grade
    return found


def _grade(warning: Warning) -> dict[int, tuple[str, ...]]:
    """The grade leaders, once a warning of a level that routes through the grade has been escalated there."""
    if warning.level.routes_through_grade and warning.tier == states.GRADE:
        return {states.GRADE: network.GRADE_TIER_ROLES}
    return {}


def _deadline_text(warning: Warning) -> str:
    if warning.tier >= states.TOP_TIER:
        return _("It stays overdue with the city centre, marked on every page and in the daily report.")
    tier = Tier(states.next_tier(warning.tier, through_grade=warning.level.routes_through_grade)).label
    if warning.hand_up_accepted_at:  # the centre took the case on: it is no longer the school's alone
        return _("Unless the step is taken by then, it escalates to the %(tier)s, who are told at once; the district "
                 "centre holds the case, with the school team.") % {"tier": tier}
    return _("Unless the step is taken by then, it escalates to the %(tier)s, who are told at once; the school "
             "team keeps the case.") % {"tier": tier}


def next_step(warning: Warning) -> NextStep | None:
    """The step the warning waits for and the people who may take it; None once it is closed."""
    state = warning.state
    level = warning.level
    if state in (states.CLOSED, states.DISMISSED):
        return None
    if warning.handed_up_at and not warning.hand_up_accepted_at:
        step, wanted = "accept_hand_up", {states.DISTRICT: ("centre_staff",)}
    elif warning.ack_pending:
        step, wanted = "acknowledge", {**_school_roles(level.ack_roles or [], through_grade=level.routes_through_grade),
                                       **_grade(warning), **_centre(warning)}
    elif state == states.ACKNOWLEDGED:
        step, wanted = "assess", {states.SCHOOL: SCHOOL_CARE, **_centre(warning)}
    elif state == states.ASSESSED:
        step, wanted = "start_intervention", {states.SCHOOL: SCHOOL_CARE, **_centre(warning)}
    elif state == states.CLEAR_REQUESTED:
        tier = level.clear_tier
        wanted = {tier: ("centre_staff",)} if tier >= states.DISTRICT else {tier: ("school_leader",)}
        step = "approve_clear"
    elif state == states.CLEARED:
        step, wanted = "follow_up", {states.CLASS: ("head_teacher",), states.SCHOOL: SCHOOL_CARE}
    else:
        step = "monitor"
        wanted = {states.SCHOOL: ("psych_teacher",)}
        if warning.hand_up_accepted_at:
            wanted[states.DISTRICT] = ("centre_staff",)
    due = warning.due_at if state in states.OPEN else None
    return NextStep(step=step, label=str(STEP_LABELS[step]), people=_people(warning, wanted), due_at=due,
                    at_deadline=_deadline_text(warning) if due else "")

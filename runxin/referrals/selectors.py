"""Reads of the referrals app. Two sides look at a referral:

- the school side: people who reach the student through the scoping layer with the case file (CASE_FILE) or the
  right to refer (REFERRAL_MAKE): the school's psychology teacher and leader, the head teacher, the centres above;
- the receiving side: people holding REFERRAL_RECEIVE at exactly the referral's unit. A partner hospital's users
  see only the referrals to their own unit while they are open (Referral.ACTIVE), never another unit's referral
  or another student; the district centre's staff see their district's referrals whatever their status.

What the text of a referral shows follows the detail level: the reason, the hospital's summary and its advice
are for the receiving side and for the school's care team (CASE_PLAN or STUDENT_CLINICAL); the others see the
status and the dates."""

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import Student
from runxin.timeline import Entry

from . import services
from .models import Referral, ReferralEvent

S = Referral.Status
ANSWERED = (S.ACCEPTED, S.SEEN, S.ADMITTED, S.DISCHARGED, S.RETURNED, S.CLOSED)
IN_CARE = (S.ACCEPTED, S.SEEN, S.ADMITTED, S.DISCHARGED)
CLINICAL_TEXT = frozenset({roles.CASE_PLAN, roles.STUDENT_CLINICAL})
_RELATED = ("student__school", "student__school_class", "from_school", "to_unit", "referred_by", "responded_by",
            "return_assessed_by", "guardian_informed_by")


# ------------------------------------------------------------------------------------------- who sees what

def receiving_grants(user) -> list[scope.Grant]:
    return [g for g in scope.grants(user) if roles.REFERRAL_RECEIVE in g.permissions and g.unit_id]


def _received_filter(user) -> Q | None:
    clauses = []
    for grant in receiving_grants(user):
        if grant.reach == "referred":
            clauses.append(Q(to_unit_id=grant.unit_id, status__in=Referral.ACTIVE))
        else:  # the district centre, which reaches its district's students anyway
            clauses.append(Q(to_unit_id=grant.unit_id))
    if not clauses:
        return None
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def received(user) -> QuerySet[Referral]:
    """The referrals sent to the units where the user holds REFERRAL_RECEIVE (a hospital's users: the open ones
    only), urgent first, then the longest waiting."""
    condition = _received_filter(user)
    if condition is None:
        return Referral.objects.none()
    return Referral.objects.filter(condition).select_related(*_RELATED).order_by("-urgent", "referred_at", "pk")


def school_side(user) -> QuerySet[Referral]:
    """The referrals about students the user reaches with the case file or the right to refer, newest first."""
    reach = scope.students(user, roles.CASE_FILE) | scope.students(user, roles.REFERRAL_MAKE)
    return Referral.objects.filter(student__in=reach.values("pk")).select_related(*_RELATED).order_by(
        "-referred_at", "-pk")


def sent(user, *, show: str = "open") -> QuerySet[Referral]:
    """The school's referrals (the sent page): open ones, or all."""
    qs = school_side(user)
    if show == "open":
        qs = qs.filter(status__in=(*Referral.ACTIVE,)).order_by("-urgent", "referred_at", "pk")
    return qs


@dataclass(frozen=True)
class Viewer:
    """How one user looks at one referral."""

    receiving: bool  # holds REFERRAL_RECEIVE at its unit (and may see it now)
    school: bool  # reaches the student with the case file or the right to refer
    held: frozenset[str]  # permissions for the student through the school side

    @property
    def reads_text(self) -> bool:
        """The reason, the hospital's summary and advice, the notes of each step."""
        return self.receiving or bool(self.held & CLINICAL_TEXT)

    @property
    def sees_arrangements(self) -> bool:
        """The arrangements at school after the return: for everyone on the school side who works with the
        student (the head teacher carries them out), and the receiving side."""
        return self.receiving or self.school


def viewer(user, referral: Referral) -> Viewer | None:
    receiving = services.receives_at(user, referral.to_unit_id) and (
        referral.status in Referral.ACTIVE or any(g.reach != "referred" and g.unit_id == referral.to_unit_id
                                                  for g in receiving_grants(user)))
    held = frozenset(scope.ordinary_permissions(user, referral.student))
    school = bool(held & {roles.CASE_FILE, roles.REFERRAL_MAKE})
    if not (receiving or school):
        return None
    return Viewer(receiving=receiving, school=school, held=held if school else frozenset())


def referral_or_404(user, referral_id: int) -> tuple[Referral, Viewer]:
    """One referral the user may open (either side), or 404: the answer must not reveal that it exists."""
    referral = Referral.objects.select_related(*_RELATED).filter(pk=referral_id).first()
    seen = viewer(user, referral) if referral is not None else None
    if seen is None:
        raise Http404("No such referral")
    return referral, seen


def actions_for(user, referral: Referral, seen: Viewer) -> list[str]:
    """The steps this viewer may take now, in the order the page shows them."""
    status = referral.status
    found: list[str] = []
    if seen.receiving:
        if status == S.SENT:
            found += ["accept", "decline"]
        if status in (S.SENT, S.ACCEPTED):
            found.append("first_visit")
        if status == S.SEEN:
            found.append("admission")
        if status in (S.SEEN, S.ADMITTED):
            found.append("discharge")
    if seen.school:
        if status == S.DISCHARGED and roles.RETURN_ASSESS in seen.held:
            found.append("return_assessment")
        if roles.REFERRAL_MAKE in seen.held:
            if status in (S.SENT, S.ACCEPTED):
                found.append("withdraw")
            if status in (S.SEEN, S.DISCHARGED, S.RETURNED):
                found.append("close")
    return found


def events(referral: Referral) -> list[ReferralEvent]:
    return list(referral.events.select_related("actor").order_by("at", "pk"))


# ---------------------------------------------------------------------------------------------- intervals

def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0) / 3600


@dataclass(frozen=True)
class Intervals:
    to_answer: float | None  # hours from the referral to the receiving side's answer
    to_first_visit: float | None  # hours from the referral to the first visit
    in_hospital: float | None  # days from admission to discharge


def intervals(referral: Referral) -> Intervals:
    stay = hours_between(referral.admitted_at, referral.discharged_at)
    return Intervals(to_answer=hours_between(referral.referred_at, referral.responded_at),
                     to_first_visit=hours_between(referral.referred_at, referral.first_visit_at),
                     in_hospital=None if stay is None else stay / 24)


# ------------------------------------------------------------------------------------ time to first visit

@dataclass(frozen=True)
class Figure:
    """Hours from referral to first visit over a set of referrals."""

    count: int  # referrals with a first visit
    median: float | None
    p90: float | None  # nearest-rank 90th percentile: 90 % of first visits came within this many hours
    waiting: int = 0  # referrals not yet seen (sent or accepted)


@dataclass(frozen=True)
class FirstVisitFigures:
    urgent: Figure
    routine: Figure
    all: Figure = field(default_factory=lambda: Figure(0, None, None))


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0.9 → p90) of a list; None for an empty list."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _figure(hours: list[float], waiting: int) -> Figure:
    return Figure(count=len(hours), median=statistics.median(hours) if hours else None,
                  p90=percentile(hours, 0.9), waiting=waiting)


def first_visit_figures(referrals: QuerySet[Referral]) -> FirstVisitFigures:
    """Median and 90th-percentile hours from referral to first visit, for urgent (green channel) and routine
    referrals and for all, over the referrals given (declined and withdrawn ones never had a visit and count only
    as neither). `waiting` counts those still waiting for their first visit."""
    rows = referrals.order_by().values_list("urgent", "referred_at", "first_visit_at", "status")
    hours = {True: [], False: []}
    waiting = {True: 0, False: 0}
    for urgent, referred_at, first_visit_at, status in rows:
        if first_visit_at is not None:
            hours[urgent].append(hours_between(referred_at, first_visit_at))
        elif status in (S.SENT, S.ACCEPTED):
            waiting[urgent] += 1
    return FirstVisitFigures(urgent=_figure(hours[True], waiting[True]), routine=_figure(hours[False], waiting[False]),
                             all=_figure(hours[True] + hours[False], waiting[True] + waiting[False]))


def time_to_first_visit(*, unit: OrgUnit, since: datetime | None = None) -> FirstVisitFigures:
    """The figure for one unit, counts only (no names): a school (its referrals), a district (its schools' and its
    centre's), a city, or a hospital / mental-health centre (the referrals it received). The caller has checked
    the user may see the unit's figures."""
    if unit.kind == OrgUnit.Kind.SCHOOL:
        qs = Referral.objects.filter(from_school_id=unit.pk)
    elif unit.kind == OrgUnit.Kind.DISTRICT:
        qs = Referral.objects.filter(Q(student__district_id=unit.pk) | Q(to_unit_id=unit.pk))
    elif unit.kind == OrgUnit.Kind.CITY:
        qs = Referral.objects.filter(student__city_id=unit.pk)
    else:
        qs = Referral.objects.filter(to_unit_id=unit.pk)
    if since is not None:
        qs = qs.filter(referred_at__gte=since)
    return first_visit_figures(qs)


def received_figures(user) -> FirstVisitFigures:
    """The figure over every referral ever sent to the user's receiving units (closed ones too: counts only)."""
    unit_ids = [g.unit_id for g in receiving_grants(user)]
    return first_visit_figures(Referral.objects.filter(to_unit_id__in=unit_ids))


# ------------------------------------------------------------------------------------- the student's file

STEP_TITLES = {
    "sent": lambda r: (_("Urgent referral (green channel) to %(unit)s") if r.urgent
                       else _("Referral to %(unit)s")) % {"unit": r.to_unit.name},
    "guardian_informed": lambda r: _("Guardian informed of the referral (%(name)s, %(how)s)")
    % {"name": r.guardian_name, "how": r.get_guardian_how_display()},
    "accepted": lambda r: _("%(unit)s accepted the referral") % {"unit": r.to_unit.name},
    "declined": lambda r: _("%(unit)s declined the referral") % {"unit": r.to_unit.name},
    "first_visit": lambda r: _("First visit at %(unit)s") % {"unit": r.to_unit.name},
    "admitted": lambda r: _("Admitted to %(unit)s") % {"unit": r.to_unit.name},
    "discharged": lambda r: _("Discharged from %(unit)s") % {"unit": r.to_unit.name},
    "return_assessed": lambda r: _("Return-to-school assessment: %(decision)s")
    % {"decision": r.get_return_decision_display() or "—"},
    "closed": lambda r: _("Referral closed"),
    "withdrawn": lambda r: _("Referral withdrawn"),
}


def step_title(referral: Referral, kind: str) -> str:
    make = STEP_TITLES.get(kind)
    return make(referral) if make else kind


def event_detail(referral: Referral, event: ReferralEvent, *, reads_text: bool, sees_arrangements: bool) -> str:
    """What of one step this viewer may read (empty: only the fact and its date)."""
    if event.kind == "sent":
        return referral.reason if reads_text else ""
    if event.kind == "discharged":
        if not reads_text:
            return ""
        parts = [_("Return-to-school advice: %(text)s") % {"text": referral.return_advice}]
        if referral.clinical_summary:
            parts.insert(0, _("Hospital's summary: %(text)s") % {"text": referral.clinical_summary})
        return "\n".join(parts)
    if event.kind == "return_assessed":
        return event.note if sees_arrangements else ""
    return event.note if reads_text else ""


def file_entries(user, student: Student, held: set[str]) -> list[Entry]:
    """The student's referrals for the file (一人一档): one entry per dated step. Only the school side (the case
    file or the right to refer): a hospital's users see nothing of it here. The reason and the hospital's advice
    only for the care team (CASE_PLAN or STUDENT_CLINICAL); the arrangements after the return for everyone who
    reads the file."""
    if not held & {roles.CASE_FILE, roles.REFERRAL_MAKE}:
        return []
    reads_text = bool(held & CLINICAL_TEXT)
    entries: list[Entry] = []
    referrals = Referral.objects.filter(student=student).select_related("to_unit").prefetch_related("events__actor")
    for referral in referrals:
        url = reverse("referrals:detail", kwargs={"referral_id": referral.pk})
        badges = (_("urgent"),) if referral.urgent else ()
        for event in referral.events.all():
            step_badges = badges + ((referral.get_status_display(),) if event.kind == "sent" else ())
            entries.append(Entry(
                at=event.at, kind="referral", title=step_title(referral, event.kind),
                detail=event_detail(referral, event, reads_text=reads_text, sees_arrangements=True),
                url=url, actor=str(event.actor) if event.actor else "", badges=step_badges))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries

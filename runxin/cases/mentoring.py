"""Mentor contacts (导师联系记录) and how often they are due: the contact policy per warning level (Changzhou: a
contact frequency per risk level, kept as policy data), the mentor grid of a school (Cixi: about one mentor to
15 students) and a mentor's own list.

Services (they change things: keyword arguments, one transaction, audited by the change log registration in
apps.py) and selectors (reads that take the acting user) of the mentor work. Every student read goes through the
scoping layer.

Contact policy defaults. A level without a ContactPolicy row uses a default by its rank among the active levels,
most severe first (the shipped red / orange / yellow):

  the most severe level     mentor contact at least every 7 days,  plan reviewed every 14 days;
  the second level          every 14 days,                         reviewed every 30 days;
  any less severe level     every 30 days,                         reviewed every 60 days.

A student counts as at risk while they have an open warning (raised … cleared, i.e. also under continued
attention) or an open plan. Their level is the open warning's; a plan without an open warning uses the plan's
warning's level, else the least severe active level. A contact is due `mentor_contact_days` after the last contact
by the paired mentor, or, when the mentor has not yet logged one, after the later of the pairing and the day the
student came to be at risk.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.alerts import states
from runxin.alerts.models import Warning as AlertWarning
from runxin.alerts.models import WarningLevel
from runxin.org.models import OrgUnit
from runxin.people.models import MentorPair, RoleAssignment, Student

from .models import CasePlan, ContactPolicy, MentorContact

MENTEES_PER_MENTOR = 15  # Cixi's mentor grid: about one mentor to 15 students
DEFAULT_DAYS: tuple[tuple[int, int], ...] = ((7, 14), (14, 30), (30, 60))  # (contact, review) by severity rank
DAYS_MIN, DAYS_MAX = 1, 365
NOTE_MAX = 2000
BACKDATE_DAYS = 60  # a contact may be logged up to this many days after it happened


class MentoringError(ValueError):
    """A contact or policy that cannot be saved as given; the message is for the user."""


# --------------------------------------------------------------------------------------------- contact policy

@dataclass(frozen=True)
class LevelPolicy:
    level: WarningLevel
    mentor_contact_days: int
    review_days: int
    is_default: bool  # no row yet: the documented default applies


def default_days(rank: int) -> tuple[int, int]:
    """The default (contact, review) days of the level at this rank (0: the most severe active level)."""
    return DEFAULT_DAYS[min(max(rank, 0), len(DEFAULT_DAYS) - 1)]


def contact_policies() -> list[LevelPolicy]:
    """One row per active warning level, most severe first, with its saved or default frequencies."""
    levels = list(WarningLevel.objects.filter(is_active=True).order_by("-severity"))
    saved = {p.level_id: p for p in ContactPolicy.objects.filter(level__in=levels)}
    rows = []
    for rank, level in enumerate(levels):
        row = saved.get(level.pk)
        if row is not None:
            rows.append(LevelPolicy(level, row.mentor_contact_days, row.review_days, False))
        else:
            contact, review = default_days(rank)
            rows.append(LevelPolicy(level, contact, review, True))
    return rows


def _days_in_range(value, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise MentoringError(_("%(field)s must be a whole number of days.") % {"field": label}) from None
    if not DAYS_MIN <= number <= DAYS_MAX:
        raise MentoringError(_("%(field)s must be between %(low)d and %(high)d days.") % {
            "field": label, "low": DAYS_MIN, "high": DAYS_MAX})
    return number


@transaction.atomic
def contact_policy_set(*, actor, level: WarningLevel, mentor_contact_days: int, review_days: int) -> ContactPolicy:
    """Set how often a student at this level is contacted by their mentor and their plan reviewed (city policy)."""
    if not scope.has_permission(actor, roles.CASE_CONTACT_POLICY):
        raise PermissionDenied(roles.CASE_CONTACT_POLICY)
    contact = _days_in_range(mentor_contact_days, _("Mentor contact"))
    review = _days_in_range(review_days, _("Plan review"))
    row = ContactPolicy.objects.select_for_update().filter(level=level).first()
    if row is None:
        return ContactPolicy.objects.create(level=level, mentor_contact_days=contact, review_days=review)
    if (row.mentor_contact_days, row.review_days) != (contact, review):
        row.mentor_contact_days, row.review_days = contact, review
        row.save(update_fields=["mentor_contact_days", "review_days"])
    return row


# ------------------------------------------------------------------------------------------------ who is at risk

@dataclass(frozen=True)
class Risk:
    level: WarningLevel | None
    since: date  # the day the student came to be at risk (warning raised, plan opened)
    contact_days: int
    review_days: int
    has_plan: bool
    has_warning: bool


def risks(student_ids) -> dict[int, Risk]:
    """The risk of each of these students who has an open warning or an open plan (others are not listed)."""
    ids = list(student_ids)
    if not ids:
        return {}
    policies = contact_policies()
    by_level = {p.level.pk: p for p in policies}
    lowest = policies[-1] if policies else None
    warnings = {}
    for w in (AlertWarning.objects.filter(student_id__in=ids, state__in=states.OPEN)
              .select_related("level").order_by("raised_at")):
        warnings[w.student_id] = w
    plans = {}
    for p in CasePlan.objects.filter(student_id__in=ids, status=CasePlan.Status.OPEN).select_related("warning__level"):
        plans[p.student_id] = p
    result: dict[int, Risk] = {}
    for sid in set(warnings) | set(plans):
        warning, plan = warnings.get(sid), plans.get(sid)
        level = warning.level if warning else (plan.warning.level if plan and plan.warning_id else None)
        policy = by_level.get(level.pk) if level else None
        if policy is None and level is not None:  # an inactive level: its own row, else the mildest default
            saved = ContactPolicy.objects.filter(level=level).first()
            if saved:
                policy = LevelPolicy(level, saved.mentor_contact_days, saved.review_days, False)
        if policy is None:
            policy = lowest
        if level is None and policy is not None:
            level = policy.level
        contact, review = (policy.mentor_contact_days, policy.review_days) if policy else default_days(99)
        starts = [timezone.localtime(x).date() for x in (
            warning.raised_at if warning else None, plan.opened_at if plan else None) if x]
        result[sid] = Risk(level, min(starts) if starts else timezone.localdate(), contact, review,
                           plan is not None, warning is not None)
    return result


def at_risk_condition() -> Q:
    """Students with an open warning or an open plan (a filter on Student)."""
    return Q(Exists(AlertWarning.objects.filter(student_id=OuterRef("pk"), state__in=states.OPEN))) | Q(
        Exists(CasePlan.objects.filter(student_id=OuterRef("pk"), status=CasePlan.Status.OPEN)))


# ---------------------------------------------------------------------------------------------------- contacts

def may_log_contact(user, student: Student) -> bool:
    """Whether the user may log a contact with this student: the paired mentor, the head teacher, the psychology
    teacher (mentor.contact through an ordinary role, never break-glass)."""
    return roles.MENTOR_CONTACT in scope.ordinary_permissions(user, student)


def contact_student_or_404(user, student_id: int) -> Student:
    """A student the user may log a contact with, or 404 (the answer does not say the student exists)."""
    student = scope.student_or_404(user, student_id, roles.MENTOR_CONTACT)
    if not may_log_contact(user, student):
        raise Http404("No such student")
    return student


def _open_plan(student: Student) -> CasePlan | None:
    return CasePlan.objects.filter(student=student, status=CasePlan.Status.OPEN).first()


@transaction.atomic
def contact_log(*, actor, student: Student, at: datetime, form: str, note: str = "") -> MentorContact:
    """Log one contact with the student (encrypted note). The writer and the case team (case.plan) read the note;
    others who see the file see only that a contact happened."""
    if not may_log_contact(actor, student):
        raise PermissionDenied(roles.MENTOR_CONTACT)
    if form not in MentorContact.Form.values:
        raise MentoringError(_("Choose how the contact took place."))
    now = timezone.now()
    if at is None:
        raise MentoringError(_("Say when the contact took place."))
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + timedelta(minutes=5):
        raise MentoringError(_("A contact cannot be in the future."))
    if at < now - timedelta(days=BACKDATE_DAYS):
        raise MentoringError(_("A contact can be logged up to %(days)d days after it took place.") % {
            "days": BACKDATE_DAYS})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise MentoringError(_("The note is too long (at most %(n)d characters).") % {"n": NOTE_MAX})
    return MentorContact.objects.create(student=student, mentor=actor, plan=_open_plan(student), at=at, form=form,
                                        note=note)


def may_read_note(user, contact: MentorContact, held: set[str]) -> bool:
    """The note of a contact: its writer and whoever holds case.plan for the student."""
    return contact.mentor_id == user.pk or roles.CASE_PLAN in held


def contacts_of(user, student: Student, held: set[str], limit: int = 50) -> list[tuple[MentorContact, bool]]:
    """The student's logged contacts, newest first, each with whether this user may read its note. Empty for a
    user without the case file or the contact permission for the student."""
    if not held & {roles.CASE_FILE, roles.MENTOR_CONTACT}:
        return []
    rows = MentorContact.objects.filter(student=student).select_related("mentor")[:limit]
    return [(c, may_read_note(user, c, held)) for c in rows]


# ---------------------------------------------------------------------------------------------- due contacts

@dataclass
class MenteeRow:
    student: Student
    pair: MentorPair
    risk: Risk | None
    last_contact: datetime | None
    due_on: date | None
    overdue: bool
    days_overdue: int


def _last_contacts(pairs: list[MentorPair]) -> dict[tuple[int, int], datetime]:
    if not pairs:
        return {}
    mentor_ids = {p.mentor_id for p in pairs}
    student_ids = {p.student_id for p in pairs}
    rows = (MentorContact.objects.filter(mentor_id__in=mentor_ids, student_id__in=student_ids)
            .values("mentor_id", "student_id").annotate(last=Max("at")))
    return {(r["mentor_id"], r["student_id"]): r["last"] for r in rows}


def _rows(pairs: list[MentorPair], today: date) -> list[MenteeRow]:
    risk_of = risks(p.student_id for p in pairs)
    last = _last_contacts(pairs)
    rows = []
    for pair in pairs:
        risk = risk_of.get(pair.student_id)
        contact = last.get((pair.mentor_id, pair.student_id))
        due = None
        if risk is not None:
            start = timezone.localtime(contact).date() if contact else max(pair.since, risk.since)
            due = start + timedelta(days=risk.contact_days)
        overdue = due is not None and due < today
        rows.append(MenteeRow(pair.student, pair, risk, contact, due, overdue, (today - due).days if overdue else 0))
    # Overdue first (longest overdue on top), then the at-risk by due date, then the others by name.
    rows.sort(key=lambda r: (not r.overdue, -r.days_overdue, r.due_on is None, r.due_on or today,
                             r.student.name))
    return rows


def my_mentees(user, today: date | None = None) -> list[MenteeRow]:
    """The user's own paired students (active pairs, within their scope), overdue contacts first."""
    today = today or timezone.localdate()
    visible = scope.students(user, roles.STUDENT_ROSTER)
    pairs = list(MentorPair.objects.filter(mentor_id=user.pk, is_active=True, student__in=visible)
                 .select_related("student__school_class", "mentor"))
    return _rows(pairs, today)


# ------------------------------------------------------------------------------------------------ mentor grid

def grid_schools(user) -> list[OrgUnit]:
    """The schools whose mentor grid the user may open: case.plan or mentor.pair at (or above) the school."""
    units = scope.units(user, roles.CASE_PLAN) | scope.units(user, roles.MENTOR_PAIR)
    return list(units.filter(kind=OrgUnit.Kind.SCHOOL, is_active=True).distinct().order_by("name"))


def grid_school_or_404(user, unit_id: int) -> OrgUnit:
    school = OrgUnit.objects.filter(pk=unit_id, kind=OrgUnit.Kind.SCHOOL).first()
    if school is None or not (scope.unit_permission(user, school, roles.CASE_PLAN)
                              or scope.unit_permission(user, school, roles.MENTOR_PAIR)):
        raise Http404("No such school")
    return school


@dataclass
class MentorLoad:
    mentor: object  # User
    pairs: int
    over: bool  # more than the guideline


@dataclass
class Grid:
    school: OrgUnit
    mentors: list[MentorLoad]
    unpaired: list[tuple[Student, Risk]]
    paired: list[MenteeRow]
    at_risk: int
    guideline: int = MENTEES_PER_MENTOR

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.paired if r.overdue)

    @property
    def student_ids(self) -> list[int]:
        return [s.pk for s, _r in self.unpaired] + [r.student.pk for r in self.paired]


def mentor_grid(user, school: OrgUnit, today: date | None = None) -> Grid:
    """The school's mentors and their load against the 1:15 guideline, the at-risk students without a mentor, and
    the paired at-risk students' contacts (overdue first). Students come through the scoping layer."""
    from runxin.accounts.models import User

    today = today or timezone.localdate()
    visible = scope.students(user, roles.STUDENT_RISK_LEVEL).filter(school=school)
    on_duty = RoleAssignment.objects.filter(user=OuterRef("pk"), role="mentor", is_active=True, org_unit=school) \
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    with_pairs = MentorPair.objects.filter(mentor=OuterRef("pk"), is_active=True, student__school=school)
    mentors = list(
        User.objects.filter(Q(Exists(on_duty)) | Q(Exists(with_pairs)), is_active=True)
        .annotate(pair_count=Count("mentees", filter=Q(mentees__is_active=True, mentees__student__school=school)))
        .order_by("-pair_count", "display_name", "username"))
    loads = [MentorLoad(m, m.pair_count, m.pair_count > MENTEES_PER_MENTOR) for m in mentors]
    at_risk = list(visible.filter(at_risk_condition()).select_related("school_class").order_by(
        "school_class__path", "name"))
    risk_of = risks(s.pk for s in at_risk)
    paired_ids = set(MentorPair.objects.filter(is_active=True, student__in=[s.pk for s in at_risk])
                     .values_list("student_id", flat=True))
    unpaired = [(s, risk_of[s.pk]) for s in at_risk if s.pk not in paired_ids and s.pk in risk_of]
    unpaired.sort(key=lambda item: (-(item[1].level.severity if item[1].level else 0), item[0].name))
    pairs = list(MentorPair.objects.filter(is_active=True, student__in=[s.pk for s in at_risk])
                 .select_related("student__school_class", "mentor"))
    return Grid(school, loads, unpaired, _rows(pairs, today), len(at_risk))

"""Writes about home visits and family contact (家访, 家校联系). Keyword arguments, one transaction each; the change
audit (django-auditlog, registered in apps.py) records every row written here in the same transaction.

Who may write: the people holding roles.VISIT_RECORD for the student (head teacher, grade leader, psychology teacher,
school leader; a mentor for the students paired with them). Every function checks it again, whatever the page did.
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.models import Student

from . import published
from .models import FamilyContact

Kind = FamilyContact.Kind
Status = FamilyContact.Status
TEXT_MAX = 4000
SHORT_MAX = 200
PLAN_AHEAD_DAYS = 366  # a visit is planned within the coming year
BULK_MAX_DAYS = 120  # a class's visits are spread over at most this many days


class VisitError(ValueError):
    """A contact the rules refuse; `field` names the form field, str() the sentence to show."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(message)


def _require(actor, student: Student) -> None:
    if roles.VISIT_RECORD not in scope.ordinary_permissions(actor, student):
        raise PermissionDenied(roles.VISIT_RECORD)


def _short(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > SHORT_MAX:
        raise VisitError(_("Keep this under %(n)s characters.") % {"n": SHORT_MAX}, field)
    return value


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise VisitError(_("Keep this under %(n)s characters.") % {"n": TEXT_MAX}, field)
    return value


def _check_kind(kind: str) -> str:
    if kind not in Kind.values:
        raise VisitError(_("Choose what kind of contact it is."), "kind")
    return kind


def _check_done(*, kind: str, done_on: date | None, visitors: str, met_with: str, summary: str, student: Student,
                dormitory: str) -> None:
    today = timezone.localdate()
    if done_on is None:
        raise VisitError(_("Give the day of the contact."), "done_on")
    if done_on > today:
        raise VisitError(_("The day of the contact cannot be in the future; plan it instead."), "done_on")
    if done_on < today - timedelta(days=PLAN_AHEAD_DAYS):
        raise VisitError(_("The day is more than a year ago; check the date."), "done_on")
    if kind == Kind.HOME_VISIT:
        if not visitors:
            raise VisitError(_("Write who went on the home visit."), "visitors")
        if not met_with:
            raise VisitError(_("Write whom you met at home (guardians, family)."), "met_with")
    if kind == Kind.DORM_VISIT and student.boarding != Student.Boarding.BOARDING:
        raise VisitError(_("This student is not a boarder: a dormitory visit is for boarders."), "kind")
    if not summary:
        raise VisitError(_("Write what was seen and discussed."), "summary")


@transaction.atomic
def contact_plan(*, actor, student: Student, kind: str, planned_on: date, visitors: str = "") -> FamilyContact:
    """Plan a visit or contact for a day from today on. Kept with the school and class the student is in now."""
    _require(actor, student)
    kind = _check_kind(kind)
    today = timezone.localdate()
    if planned_on is None:
        raise VisitError(_("Give the day it is planned for."), "planned_on")
    if planned_on < today:
        raise VisitError(_("A planned visit is for today or later; record a visit that has happened instead."),
                         "planned_on")
    if planned_on > today + timedelta(days=PLAN_AHEAD_DAYS):
        raise VisitError(_("Plan within the coming year."), "planned_on")
    if kind == Kind.DORM_VISIT and student.boarding != Student.Boarding.BOARDING:
        raise VisitError(_("This student is not a boarder: a dormitory visit is for boarders."), "kind")
    if not student.school_id:
        raise VisitError(_("The student is not placed in a school."))
    return FamilyContact.objects.create(
        student=student, school_id=student.school_id, school_class_id=student.school_class_id, kind=kind,
        status=Status.PLANNED, planned_on=planned_on, recorded_by=actor, visitors=_short(visitors, "visitors"))


@transaction.atomic
def contact_record(*, actor, student: Student, kind: str, done_on: date, summary: str, agreed: str = "",
                   visitors: str = "", met_with: str = "", dormitory: str = "",
                   contact: FamilyContact | None = None) -> FamilyContact:
    """Record a contact that has happened: a new one, or a planned one (`contact`) marked done. A home visit
    says who went and whom they met; every contact says what was seen and discussed, and what was agreed with
    the family (家校协同) when anything was."""
    _require(actor, student)
    kind = _check_kind(kind)
    visitors, met_with = _short(visitors, "visitors"), _short(met_with, "met_with")
    dormitory = (dormitory or "").strip()[:60]
    summary, agreed = _text(summary, "summary"), _text(agreed, "agreed")
    _check_done(kind=kind, done_on=done_on, visitors=visitors, met_with=met_with, summary=summary, student=student,
                dormitory=dormitory)
    fields = {"kind": kind, "status": Status.DONE, "done_on": done_on, "visitors": visitors, "met_with": met_with,
              "dormitory": dormitory, "summary": summary, "agreed": agreed, "recorded_by": actor}
    transaction.on_commit(published.changed)  # the coverage pages decide their hidden figures anew
    if contact is None:
        if not student.school_id:
            raise VisitError(_("The student is not placed in a school."))
        return FamilyContact.objects.create(student=student, school_id=student.school_id,
                                            school_class_id=student.school_class_id, **fields)
    if contact.student_id != student.pk:
        raise VisitError(_("That visit is about another student."))
    locked = FamilyContact.objects.select_for_update().get(pk=contact.pk)
    if locked.status != Status.PLANNED:
        raise VisitError(_("This visit has already been recorded or cancelled."))
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def contact_cancel(*, actor, contact: FamilyContact, reason: str = "") -> FamilyContact:
    """Cancel a planned visit (the row stays, with the reason in its summary)."""
    _require(actor, contact.student)
    locked = FamilyContact.objects.select_for_update().get(pk=contact.pk)
    if locked.status != Status.PLANNED:
        raise VisitError(_("Only a planned visit can be cancelled."))
    locked.status = Status.CANCELLED
    reason = _text(reason, "reason")
    if reason:
        locked.summary = reason
    locked.save()
    return locked


def _spread(count: int, first: date, last: date, *, weekdays_only: bool) -> list[date]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if weekdays_only:
        days = [d for d in days if d.weekday() < 5] or days
    return [days[(i * len(days)) // count] for i in range(count)] if count else []


@transaction.atomic
def class_plan_home_visits(*, actor, school_class: OrgUnit, first_day: date, last_day: date, visitors: str = "",
                           weekdays_only: bool = True) -> list[FamilyContact]:
    """Plan a home visit for every enrolled student of the class who has none done or planned this school year
    (the year given by `year_bounds`), spread evenly over the days from `first_day` to `last_day` (school days
    only unless `weekdays_only` is off). Returns the planned visits; an empty list when everyone is covered."""
    from . import selectors  # the school year's bounds; selectors never import services

    if school_class.kind != OrgUnit.Kind.CLASS:
        raise VisitError(_("Choose a class."))
    if not scope.unit_permission(actor, school_class, roles.VISIT_RECORD):
        raise PermissionDenied(roles.VISIT_RECORD)
    today = timezone.localdate()
    if first_day is None or last_day is None:
        raise VisitError(_("Give the first and the last day."), "first_day")
    if first_day < today:
        raise VisitError(_("The first day is today or later."), "first_day")
    if last_day < first_day:
        raise VisitError(_("The last day comes after the first."), "last_day")
    if (last_day - first_day).days > BULK_MAX_DAYS:
        raise VisitError(_("Spread the visits over at most %(n)s days.") % {"n": BULK_MAX_DAYS}, "last_day")
    starts, ends = selectors.year_bounds(today)
    covered = FamilyContact.objects.filter(
        Q(status=Status.DONE, done_on__range=(starts, ends)) | Q(status=Status.PLANNED, planned_on__range=(starts, ends)),
        kind=Kind.HOME_VISIT)
    students = list(scope.students(actor, roles.VISIT_RECORD).filter(school_class_id=school_class.pk,
                                                                      status=Student.Status.ENROLLED)
                    .exclude(pk__in=covered.values("student_id")).order_by("name", "pk"))
    days = _spread(len(students), first_day, last_day, weekdays_only=weekdays_only)
    visitors = _short(visitors, "visitors")
    # One create per student (a class is some fifty), so the change audit records each planned visit.
    return [FamilyContact.objects.create(student=s, school_id=s.school_id, school_class_id=s.school_class_id,
                                         kind=Kind.HOME_VISIT, status=Status.PLANNED, planned_on=day,
                                         recorded_by=actor, visitors=visitors)
            for s, day in zip(students, days, strict=True)]

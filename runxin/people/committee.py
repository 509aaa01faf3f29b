"""Class psychology committee members (班级心理委员): students of a class appointed by its head teacher.

The appointment is the record; the psych_committee role on the student's own account (held at the class, naming
the student) comes and goes with it. Student-side roles come with a student's record and are never granted
through accounts.grants (its rule refuses them), so this module writes that one role itself
(accounts/tests/test_grants_one_writer.py lists it). How many members a class has is the city's policy
(settings.COMMITTEE_MEMBERS_PER_CLASS, COMMITTEE_SEATS_BY_SEX).

A member who leaves the class – a transfer, a change of class, graduation, the year's rollover into next year's
class – stops being a member the same day: people.services calls `end_departed` in the transaction that moves
the students; the next head teacher appoints for the new class.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from runxin.access import scope
from runxin.org.models import OrgUnit

from .models import CommitteeAppointment, RoleAssignment, Student

ROLE = "psych_committee"
LEFT_THE_CLASS = "left the class"


class CommitteeRefused(ValueError):
    """An appointment or ending the rules refuse; str() is the sentence to show."""


def seats() -> int:
    return settings.COMMITTEE_MEMBERS_PER_CLASS


def seats_per_sex() -> int | None:
    """With seats shared between boys and girls, how many one sex may hold (2 seats: one each); else None."""
    return (seats() + 1) // 2 if settings.COMMITTEE_SEATS_BY_SEX else None


def student_account(student: Student):
    """The student's own account (the one holding the student role for them), or None before one is issued."""
    assignment = (RoleAssignment.objects.filter(role="student", student=student, is_active=True, user__is_active=True)
                  .select_related("user").order_by("id").first())
    return assignment.user if assignment else None


def members(school_class: OrgUnit):
    """The class's current members, with their students."""
    return (CommitteeAppointment.objects.filter(school_class=school_class, ended_on__isnull=True)
            .select_related("student", "appointed_by").order_by("started_on", "id"))


@transaction.atomic
def committee_appoint(*, actor, school_class: OrgUnit, student: Student, on: date | None = None) -> CommitteeAppointment:
    """Appoint `student` to the committee of `school_class` from `on` (today) and give their account the role.
    The caller has checked that `actor` may appoint for the class. Refuses (CommitteeRefused) a student who is
    not enrolled in the class, one already appointed, a student without an account, and an appointment beyond
    the seats the policy gives a class."""
    on = on or timezone.localdate()
    # One appointment at a time per class, so two head teachers' clicks cannot both take the last seat.
    OrgUnit.objects.select_for_update().filter(pk=school_class.pk).first()
    if student.school_class_id != school_class.pk or student.status != Student.Status.ENROLLED:
        raise CommitteeRefused(_("%(name)s is not an enrolled student of %(class)s: only students of the class can "
                                 "be appointed.") % {"name": student.name, "class": school_class.name})
    current = list(members(school_class))
    if any(m.student_id == student.pk for m in current):
        raise CommitteeRefused(_("%(name)s is already a class psych committee member.") % {"name": student.name})
    if len(current) >= seats():
        raise CommitteeRefused(ngettext(
            "%(class)s already has %(n)d class psych committee member, the most a class may have: end that "
            "appointment first.",
            "%(class)s already has %(n)d class psych committee members, the most a class may have: end one of "
            "those appointments first.", len(current)) % {"class": school_class.name, "n": len(current)})
    per_sex = seats_per_sex()
    if per_sex is not None and sum(m.student.sex == student.sex for m in current) >= per_sex:
        raise CommitteeRefused(ngettext(
            "The committee seats are shared between boys and girls: %(class)s already has %(n)d member of "
            "%(name)s's sex.",
            "The committee seats are shared between boys and girls: %(class)s already has %(n)d members of "
            "%(name)s's sex.", per_sex) % {"class": school_class.name, "n": per_sex, "name": student.name})
    if student.committee_appointments.filter(ended_on__isnull=True).exists():
        raise CommitteeRefused(_("%(name)s is already a committee member of another class: end that appointment "
                                 "first.") % {"name": student.name})
    account = student_account(student)
    if account is None:
        raise CommitteeRefused(_("%(name)s has no student account yet: issue the class's student accounts first, "
                                 "then appoint.") % {"name": student.name})
    appointment = CommitteeAppointment.objects.create(
        student=student, school_class=school_class, appointed_by=actor, started_on=on)
    _role_open(account, school_class, student, on)
    return appointment


def _role_open(user, school_class: OrgUnit, student: Student, on: date) -> None:
    """Give the role (or re-open it: one row per account, role, class and student). Saved through the model,
    so the change is in the audit log."""
    assignment = RoleAssignment.objects.filter(user=user, role=ROLE, org_unit=school_class, student=student).first()
    if assignment is None:
        assignment = RoleAssignment(user=user, role=ROLE, org_unit=school_class, student=student)
    assignment.is_active, assignment.starts_on, assignment.ends_on = True, on, None
    assignment.save()
    scope.forget(user)


@transaction.atomic
def committee_end(*, actor, appointment: CommitteeAppointment, on: date | None = None) -> None:
    """End the appointment today and take the role away at once (is_active false: nothing it opened stays
    open for the rest of the day)."""
    on = on or timezone.localdate()
    appointment = CommitteeAppointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.ended_on is not None:
        raise CommitteeRefused(_("This appointment has already ended."))
    appointment.ended_on, appointment.ended_by, appointment.end_reason = on, actor, "ended"
    appointment.save(update_fields=["ended_on", "ended_by", "end_reason"])
    for assignment in RoleAssignment.objects.filter(role=ROLE, student_id=appointment.student_id,
                                                    org_unit_id=appointment.school_class_id, is_active=True):
        assignment.is_active, assignment.ends_on = False, on
        assignment.save(update_fields=["is_active", "ends_on"])


def end_departed(*, on: date, student_ids=None) -> int:
    """End the appointments (and the roles) of members no longer enrolled in the class they were appointed in.
    `student_ids` narrows the check (a list or a subquery); None checks every open appointment (the set-based
    moves: open appointments are a few per class). Two UPDATEs, no per-student statement. Returns how many."""
    still = CommitteeAppointment.objects.filter(ended_on__isnull=True)
    if student_ids is not None:
        still = still.filter(student_id__in=student_ids)
    departed = list(still.exclude(school_class_id=F("student__school_class_id"),
                                  student__status=Student.Status.ENROLLED).values_list("id", "student_id"))
    if not departed:
        return 0
    CommitteeAppointment.objects.filter(id__in=[a for a, _s in departed]).update(ended_on=on, end_reason=LEFT_THE_CLASS)
    RoleAssignment.objects.filter(role=ROLE, student_id__in=[s for _a, s in departed], is_active=True).update(
        is_active=False, ends_on=on)
    return len(departed)

"""A case moves with the student (issue 12, item 7).

When the roster import or the year-end rollover places a student with an open plan at another school, the plan
follows: `plans_follow_students` (run by the Celery task cases.tasks.plans_follow_students) moves the plan to the new
school, makes one of its psychology teachers the case lead (the school's leader accepts and leads when it has none),
records a CaseTransfer and tells the new school's psychology teachers and leaders. The old team loses access by
itself: every read of the student goes through the scoping layer, which follows the student's placement. The change
log has the plan's move and the transfer row (both registered in apps.py).

Transfers are listed for the schools on both sides (`transfers_for`); the new team accepts the case
(`transfer_accept`)."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.accounts import services as accounts_services
from runxin.alerts import services as alert_services
from runxin.notify import services as notify_services
from runxin.org.models import OrgUnit

from . import team
from .models import CasePlan, CaseTransfer


class TransferError(ValueError):
    """A transfer step that cannot be taken; the message is for the user."""


def plans_to_move() -> QuerySet[CasePlan]:
    """Open plans held by a school the student is no longer placed at (and placed at another school)."""
    return (CasePlan.objects.filter(status=CasePlan.Status.OPEN, student__school_id__isnull=False)
            .exclude(school_id=F("student__school_id")))


def plans_follow_students(now: datetime | None = None) -> int:
    """Move every open plan to the school its student is placed at now; return how many moved. Idempotent: a
    plan moved once is not found again; one plan per transaction, so one failure does not undo the others."""
    moved = 0
    for plan_id in list(plans_to_move().values_list("pk", flat=True)):
        if plan_follow_student(plan_id=plan_id, now=now) is not None:
            moved += 1
    return moved


@transaction.atomic
def plan_follow_student(*, plan_id: int, now: datetime | None = None) -> CaseTransfer | None:
    """Move one plan to its student's current school (None when there is nothing to move any more)."""
    now = now or timezone.now()
    plan = CasePlan.objects.select_for_update().select_related("student", "school").filter(pk=plan_id).first()
    if plan is None or plan.status != CasePlan.Status.OPEN:
        return None
    student = plan.student
    if not student.school_id or student.school_id == plan.school_id:
        return None
    old_school, new_school = plan.school, OrgUnit.objects.get(pk=student.school_id)
    psychs = team.psych_teachers(new_school)
    new_lead = psychs[0] if psychs else None
    changed = ["school"]
    plan.school = new_school
    if new_lead is not None:
        plan.lead = new_lead
        changed.append("lead")
    if plan.mentor_id is not None:
        plan.mentor = None  # the old school's mentor: the new school pairs its own
        changed.append("mentor")
    plan.save(update_fields=changed)
    # The old school's mentor loses the student with the rest of the old team (accounts owns the pairs), and the
    # open follow-ups go to the new lead rather than stay with people who can no longer reach the student.
    accounts_services.mentor_pairs_end_elsewhere(student_ids=[student.pk])
    alert_services.follow_ups_hand_over(student=student, to_user=new_lead)
    transfer = CaseTransfer.objects.create(plan=plan, student=student, from_school=old_school, to_school=new_school,
                                           at=now, new_lead=new_lead)
    _tell_new_school(transfer, new_school, old_school, psychs)
    return transfer


def _tell_new_school(transfer: CaseTransfer, new_school: OrgUnit, old_school: OrgUnit, psychs) -> None:
    recipients = [u.pk for u in psychs] + [u.pk for u in team.leaders(new_school)]
    if transfer.new_lead_id:
        body = _("A student with an open case plan (一生一策) has moved to %(school)s from %(old)s. The case is "
                 "yours now: open the transfers page to accept it.") % {"school": new_school.name, "old": old_school.name}
    else:
        body = _("A student with an open case plan (一生一策) has moved to %(school)s from %(old)s. The school has no "
                 "psychology teacher: a school leader should accept the case and lead it.") % {
            "school": new_school.name, "old": old_school.name}
    notify_services.notify(
        recipient_ids=recipients, kind="case_transfer", subject=_("A case has arrived with a transferred student"),
        body=body, url=reverse("cases:transfers"), ref=f"transfer:{transfer.pk}",
        dedupe=f"case-transfer:{transfer.pk}")


# ----------------------------------------------------------------------------------------- list and accept

@dataclass
class TransferRow:
    transfer: CaseTransfer
    incoming: bool  # into one of the user's schools
    student_name: str  # "" when the user does not reach the student (an outgoing case: the old team lost it)
    may_accept: bool


def transfer_units(user) -> QuerySet[OrgUnit]:
    return scope.units(user, roles.CASE_PLAN)


def may_accept(user, transfer: CaseTransfer) -> bool:
    """The new lead confirms; a transfer without one is accepted (and led) by a school-side case.plan holder of
    the new school. Only while the student is still placed there."""
    if transfer.accepted_at is not None or transfer.student.school_id != transfer.to_school_id:
        return False
    if transfer.new_lead_id:
        return transfer.new_lead_id == user.pk
    return any(roles.CASE_PLAN in g.permissions and g.unit_id == transfer.to_school_id for g in scope.grants(user))


def transfer_or_none(user, transfer_id: int | None) -> CaseTransfer | None:
    """A transfer into one of the user's schools, by id."""
    if not transfer_id:
        return None
    return (CaseTransfer.objects.filter(pk=transfer_id, to_school__in=transfer_units(user))
            .select_related("student", "plan").first())


def transfers_for(user, limit: int = 200) -> list[TransferRow]:
    """Transfers into and out of the schools where the user holds case.plan (or below their district or city),
    newest first. The student is named only where the user still reaches them."""
    units = transfer_units(user)
    rows = list(CaseTransfer.objects.filter(Q(to_school__in=units) | Q(from_school__in=units))
                .select_related("student", "from_school", "to_school", "new_lead", "accepted_by")[:limit])
    unit_ids = set(units.filter(pk__in={r.to_school_id for r in rows}).values_list("pk", flat=True))
    reachable = set(scope.students(user, roles.STUDENT_ROSTER).filter(pk__in={r.student_id for r in rows})
                    .values_list("pk", flat=True))
    return [TransferRow(r, r.to_school_id in unit_ids, r.student.name if r.student_id in reachable else "",
                        may_accept(user, r)) for r in rows]


@transaction.atomic
def transfer_accept(*, actor, transfer: CaseTransfer) -> CaseTransfer:
    """The new team takes the case over: accepted now, by the actor (who becomes the lead when there was none)."""
    transfer = CaseTransfer.objects.select_for_update().select_related("student", "plan").get(pk=transfer.pk)
    if transfer.accepted_at is not None:
        raise TransferError(_("This case has already been accepted."))
    if not may_accept(actor, transfer):
        raise PermissionDenied(roles.CASE_PLAN)
    transfer.accepted_at, transfer.accepted_by = timezone.now(), actor
    transfer.save(update_fields=["accepted_at", "accepted_by"])
    plan = transfer.plan
    if transfer.new_lead_id is None and plan.status == CasePlan.Status.OPEN and plan.school_id == transfer.to_school_id:
        plan.lead = actor
        plan.save(update_fields=["lead"])
        transfer.new_lead = actor
        transfer.save(update_fields=["new_lead"])
    return transfer

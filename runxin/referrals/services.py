"""Writes of the referrals app (转介 and the green channel). Each step is one transaction: it checks who acts and
whether the referral's status allows the step, sets the step's own date and writes a ReferralEvent (the referral's
dated timeline), and tells the people who act next (an in-app notification recorded with the step, so it is there
exactly when the step is committed).

The path: the school refers (the guardian informed at once, 第一时间告知家长) → the receiving unit (the district
centre or a partner hospital / mental-health centre) accepts or declines → the hospital records the first visit,
an admission and the discharge with its return-to-school advice (follow-ups are scheduled from the discharge) →
the school's return-to-school assessment (复学评估) → closed. The school may withdraw a referral nobody has seen
yet. Dates are entered by people who were there; they may not lie in the future or before the step they follow."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.alerts import services as alert_services
from runxin.alerts.models import FollowUp, Warning
from runxin.notify import services as notify
from runxin.org.models import OrgUnit
from runxin.people import selectors as people_selectors
from runxin.people.models import Student

from .models import Referral, ReferralEvent

MAX_TEXT = 4000
# Clock difference allowed between a phone and the server when a time "now" is typed in.
FUTURE_SLACK = timedelta(minutes=5)
# The guardian is told about *this* referral: an earlier date belongs to another conversation.
GUARDIAN_WINDOW = timedelta(days=30)
# Follow-ups (回访) after a discharge, in days: the first week back, and a month later (Changchun's hospital–school
# information sharing: the school follows the student after discharge).
DISCHARGE_FOLLOW_UP_DAYS = (7, 30)

RECEIVING_KINDS = (OrgUnit.Kind.DISTRICT, OrgUnit.Kind.HOSPITAL, OrgUnit.Kind.MHC)
PARTNER_KINDS = (OrgUnit.Kind.HOSPITAL, OrgUnit.Kind.MHC)


def clock() -> datetime:
    """The referrals' clock: every step asks here, so tests can set the time."""
    return timezone.now()


class ReferralError(ValueError):
    """A step that cannot be done as asked; the message says why, in the user's language."""


class Kind:
    """ReferralEvent.kind values: one per step."""

    SENT = "sent"
    GUARDIAN = "guardian_informed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    FIRST_VISIT = "first_visit"
    ADMITTED = "admitted"
    DISCHARGED = "discharged"
    RETURN_ASSESSED = "return_assessed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


S = Referral.Status


# ------------------------------------------------------------------------------------------- who may act

def receiving_units(student: Student) -> QuerySet[OrgUnit]:
    """Where this student may be referred: the student's district (its growth-guidance centre) and the city's
    active partner hospitals and mental-health centres. District first, then partners by name."""
    city_path = OrgUnit.objects.filter(pk=student.city_id).values_list("path", flat=True).first() or ""
    partners = Q(kind__in=PARTNER_KINDS, is_active=True, path__startswith=city_path) if city_path else Q(pk__in=[])
    return OrgUnit.objects.filter(Q(pk=student.district_id) | partners).order_by("depth", "kind", "name")


def receives_at(user, unit_id: int | None) -> bool:
    """Whether the user holds REFERRAL_RECEIVE at exactly this unit (a hospital's clinician at their hospital, the
    district centre's staff at their district)."""
    return bool(unit_id) and any(roles.REFERRAL_RECEIVE in g.permissions and g.unit_id == unit_id
                                 for g in scope.grants(user))


def receiver_ids(unit: OrgUnit) -> list[int]:
    """The people at a unit who answer its referrals (the hospital role at a hospital, centre staff at a district)."""
    codes = roles.roles_at(unit.kind, roles.REFERRAL_RECEIVE)
    return list(people_selectors.assignments_in_force()
                .filter(org_unit=unit, role__in=codes, user__is_active=True)
                .values_list("user_id", flat=True).distinct())


def _school_side(actor, referral: Referral, permission: str) -> None:
    if actor is None or permission not in scope.ordinary_permissions(actor, referral.student):
        raise PermissionDenied(permission)


def _receiving_side(actor, referral: Referral) -> None:
    if actor is None or not receives_at(actor, referral.to_unit_id):
        raise PermissionDenied(roles.REFERRAL_RECEIVE)


# ------------------------------------------------------------------------------------------------- checks

def _text(value: str | None, *, required: bool, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ReferralError(message)
    if len(value) > MAX_TEXT:
        raise ReferralError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT})
    return value


def _local(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _when(at, *, now: datetime, what: str, not_before: datetime | None = None, before_what: str = "") -> datetime:
    """A dated step: given, aware, not in the future, not before the step it follows."""
    if not isinstance(at, datetime):
        raise ReferralError(_("Give the date and time of the %(step)s.") % {"step": what})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + FUTURE_SLACK:
        raise ReferralError(_("The %(step)s cannot be in the future.") % {"step": what})
    if not_before is not None:
        # Times are typed to the minute: a step in the same minute as the one before it is not "before" it.
        if at < not_before.replace(second=0, microsecond=0):
            raise ReferralError(_("The %(step)s cannot be before the %(earlier)s (%(at)s).")
                                % {"step": what, "earlier": before_what, "at": _local(not_before)})
        at = max(at, not_before)
    return min(at, now)


def _status_is(referral: Referral, allowed: tuple[str, ...], message: str) -> None:
    if referral.status not in allowed:
        raise ReferralError(message + " " + _("Its status is now: %(status)s.")
                            % {"status": referral.get_status_display()})


def _event(referral: Referral, *, kind: str, actor, at: datetime, note: str = "") -> ReferralEvent:
    return ReferralEvent.objects.create(referral=referral, kind=kind, actor=actor, at=at, note=note)


def _move(referral: Referral, *, from_statuses: tuple[str, ...], updates: dict) -> Referral:
    """Apply a step to a referral locked by _lock (so two people answering at once are taken one after the other,
    and the second is refused by the status check); saved field by field so the change audit records it."""
    if referral.status not in from_statuses:  # pragma: no cover - the callers check first, under the lock
        raise ReferralError(_("Someone else changed this referral a moment ago. Look at it again and retry."))
    for name, value in updates.items():
        setattr(referral, name, value)
    referral.save(update_fields=[*updates, "updated_at"])
    return referral


def _lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("student", "to_unit", "from_school").get(
        pk=referral.pk)


def _url(referral: Referral) -> str:
    return reverse("referrals:detail", kwargs={"referral_id": referral.pk})


def _tell(recipient_ids, *, referral: Referral, step: str, subject: str, link: bool = True) -> int:
    return notify.notify(recipient_ids=[uid for uid in recipient_ids if uid], kind=f"referral_{step}",
                         subject=subject, url=_url(referral) if link else "", ref=f"referral:{referral.pk}",
                         dedupe=f"referral:{referral.pk}:{step}")


def _tell_school(referral: Referral, *, step: str, subject: str, exclude: int | None = None) -> int:
    """The referring teacher, and whoever else at the school refers (the psychology teacher, the leader)."""
    codes = roles.roles_at(OrgUnit.Kind.SCHOOL, roles.REFERRAL_MAKE)
    people = set(people_selectors.assignments_in_force()
                 .filter(org_unit_id=referral.from_school_id, role__in=codes, user__is_active=True)
                 .values_list("user_id", flat=True))
    people.add(referral.referred_by_id)
    people.discard(exclude)
    return _tell(sorted(people), referral=referral, step=step, subject=subject)


# ----------------------------------------------------------------------------------------------- referring

@transaction.atomic
def referral_create(*, actor, student: Student, to_unit: OrgUnit, reason: str, urgent: bool, guardian_name: str,
                    guardian_how: str, guardian_informed_at, guardian_response: str = "",
                    warning: Warning | None = None) -> Referral:
    """Refer a student to the district centre or a partner hospital. Refused unless the guardian was informed
    (who, how, when: Changchun's 第一时间告知家长). With the student's current warning, the warning's history records
    the referral as well (its `referred_at`). The receiving unit's people get an in-app notice at once; an urgent
    referral (绿色通道) says so. After the call, `referral.receivers` is how many people were told (0: nobody at
    the unit has an account yet, so the referrer should phone) and `referral.warning_recorded` whether the
    warning's history took it."""
    if actor is None or roles.REFERRAL_MAKE not in scope.ordinary_permissions(actor, student):
        raise PermissionDenied(roles.REFERRAL_MAKE)
    now = clock()
    if to_unit is None or not receiving_units(student).filter(pk=to_unit.pk).exists():
        raise ReferralError(_("Choose the district centre or one of the city's partner hospitals offered."))
    reason = _text(reason, required=True, message=_("Write why the student is referred: the receiving side reads "
                                                    "it before the first visit."))
    guardian_name = (guardian_name or "").strip()
    if not guardian_name:
        raise ReferralError(_("Inform the guardian first and record who was told: a referral is not sent without "
                              "it (第一时间告知家长)."))
    if len(guardian_name) > 60:
        raise ReferralError(_("Keep the guardian's name under 60 characters."))
    if guardian_how not in Referral.GuardianHow.values:
        raise ReferralError(_("Choose how the guardian was informed."))
    if guardian_informed_at is None:
        raise ReferralError(_("Give the date and time the guardian was informed."))
    informed = _when(guardian_informed_at, now=now, what=_("time the guardian was informed"))
    if informed < now - GUARDIAN_WINDOW:
        raise ReferralError(_("Inform the guardian of this referral now and record it: a time more than 30 days "
                              "ago belongs to an earlier conversation."))
    guardian_response = _text(guardian_response, required=False)
    if warning is not None and warning.student_id != student.pk:
        raise ReferralError(_("That warning is about another student."))
    existing = Referral.objects.filter(student=student, to_unit=to_unit, status__in=Referral.ACTIVE).first()
    if existing is not None:
        raise ReferralError(_("This student already has an open referral to %(unit)s (#%(id)s, %(status)s). Open "
                              "it instead of sending a second one.")
                            % {"unit": to_unit.name, "id": existing.pk, "status": existing.get_status_display()})
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                student=student, warning=warning, from_school_id=student.school_id, to_unit=to_unit,
                urgent=bool(urgent), reason=reason, status=S.SENT, referred_at=now, referred_by=actor,
                guardian_informed_at=informed, guardian_informed_by=actor, guardian_name=guardian_name,
                guardian_how=guardian_how, guardian_response=guardian_response)
    except IntegrityError:
        raise ReferralError(_("This student already has an open referral to %(unit)s. Open it instead of sending "
                              "a second one.") % {"unit": to_unit.name}) from None
    _event(referral, kind=Kind.GUARDIAN, actor=actor, at=informed, note=guardian_response)
    _event(referral, kind=Kind.SENT, actor=actor, at=now)
    referral.warning_recorded = False
    if warning is not None:
        try:
            alert_services.warning_record_referral(
                warning=warning, actor=actor,
                reason=_("Referred to %(unit)s (referral #%(id)s)") % {"unit": to_unit.name, "id": referral.pk})
            referral.warning_recorded = True
        except (alert_services.WarningError, PermissionDenied):
            # A warning that is closed, or handled where this person does not act, keeps its history; the
            # referral stands on its own and names the warning.
            pass
    if referral.urgent:
        subject = _("Green channel: an urgent referral from %(school)s is waiting for your answer.")
    else:
        subject = _("A referral from %(school)s is waiting for your answer.")
    referral.receivers = _tell(receiver_ids(to_unit), referral=referral, step="sent",
                               subject=subject % {"school": referral.from_school.name})
    return referral


# ----------------------------------------------------------------------------------------- receiving side

@transaction.atomic
def referral_accept(*, referral: Referral, actor, note: str = "") -> Referral:
    referral = _lock(referral)
    _receiving_side(actor, referral)
    _status_is(referral, (S.SENT,), _("Only a referral waiting for an answer can be accepted."))
    now = clock()
    note = _text(note, required=False)
    referral = _move(referral, from_statuses=(S.SENT,),
                     updates={"status": S.ACCEPTED, "responded_at": now, "responded_by": actor})
    _event(referral, kind=Kind.ACCEPTED, actor=actor, at=now, note=note)
    _tell_school(referral, step="accepted", exclude=actor.pk,
                 subject=_("%(unit)s accepted your referral.") % {"unit": referral.to_unit.name})
    return referral


@transaction.atomic
def referral_decline(*, referral: Referral, actor, reason: str) -> Referral:
    referral = _lock(referral)
    _receiving_side(actor, referral)
    _status_is(referral, (S.SENT,), _("Only a referral waiting for an answer can be declined."))
    reason = _text(reason, required=True, message=_("Say why the referral is declined, and where the school "
                                                    "should turn instead."))
    now = clock()
    referral = _move(referral, from_statuses=(S.SENT,),
                     updates={"status": S.DECLINED, "responded_at": now, "responded_by": actor,
                              "decline_reason": reason, "closed_at": now})
    _event(referral, kind=Kind.DECLINED, actor=actor, at=now, note=reason)
    _tell_school(referral, step="declined", exclude=actor.pk,
                 subject=_("%(unit)s declined your referral: refer the student elsewhere.")
                 % {"unit": referral.to_unit.name})
    return referral


@transaction.atomic
def record_first_visit(*, referral: Referral, actor, at, note: str = "") -> Referral:
    """The student's first visit (首诊). Recorded on a referral waiting for an answer too: in the green channel the
    student may be seen before anyone answered, and the visit is the answer."""
    referral = _lock(referral)
    _receiving_side(actor, referral)
    _status_is(referral, (S.SENT, S.ACCEPTED), _("The first visit is recorded once, after the referral."))
    now = clock()
    at = _when(at, now=now, what=_("first visit"), not_before=referral.referred_at, before_what=_("referral"))
    updates = {"status": S.SEEN, "first_visit_at": at}
    if referral.responded_at is None:
        updates |= {"responded_at": now, "responded_by": actor}
    referral = _move(referral, from_statuses=(S.SENT, S.ACCEPTED), updates=updates)
    _event(referral, kind=Kind.FIRST_VISIT, actor=actor, at=at, note=_text(note, required=False))
    _tell_school(referral, step="first_visit", exclude=actor.pk,
                 subject=_("%(unit)s recorded the student's first visit.") % {"unit": referral.to_unit.name})
    return referral


@transaction.atomic
def record_admission(*, referral: Referral, actor, at, note: str = "") -> Referral:
    referral = _lock(referral)
    _receiving_side(actor, referral)
    _status_is(referral, (S.SEEN,), _("An admission is recorded after the first visit, once."))
    now = clock()
    at = _when(at, now=now, what=_("admission"), not_before=referral.first_visit_at, before_what=_("first visit"))
    referral = _move(referral, from_statuses=(S.SEEN,), updates={"status": S.ADMITTED, "admitted_at": at})
    _event(referral, kind=Kind.ADMITTED, actor=actor, at=at, note=_text(note, required=False))
    _tell_school(referral, step="admitted", exclude=actor.pk,
                 subject=_("%(unit)s admitted the student.") % {"unit": referral.to_unit.name})
    return referral


@transaction.atomic
def record_discharge(*, referral: Referral, actor, at, clinical_summary: str, return_advice: str) -> Referral:
    """Discharge (出院), or the end of outpatient care when the student was not admitted, with the hospital's summary
    and its return-to-school advice. Schedules the school's follow-ups (回访) 7 and 30 days later, assigned to the
    referring teacher."""
    referral = _lock(referral)
    _receiving_side(actor, referral)
    _status_is(referral, (S.SEEN, S.ADMITTED), _("A discharge is recorded after the first visit or admission, "
                                                  "once."))
    now = clock()
    if referral.admitted_at:
        at = _when(at, now=now, what=_("discharge"), not_before=referral.admitted_at, before_what=_("admission"))
    else:
        at = _when(at, now=now, what=_("discharge"), not_before=referral.first_visit_at,
                   before_what=_("first visit"))
    advice = _text(return_advice, required=True, message=_("Write the return-to-school advice: the school's "
                                                           "return assessment is based on it."))
    summary = _text(clinical_summary, required=False)
    referral = _move(referral, from_statuses=(S.SEEN, S.ADMITTED),
                     updates={"status": S.DISCHARGED, "discharged_at": at, "clinical_summary": summary,
                              "return_advice": advice})
    _event(referral, kind=Kind.DISCHARGED, actor=actor, at=at)
    day = timezone.localtime(at).date()
    for days in DISCHARGE_FOLLOW_UP_DAYS:
        alert_services.follow_up_schedule(
            student=referral.student, due_on=day + timedelta(days=days), origin=FollowUp.Origin.DISCHARGE,
            origin_id=referral.pk, assigned_to=referral.referred_by, actor=actor,
            note=_("Follow-up %(n)s days after discharge from %(unit)s") % {"n": days, "unit": referral.to_unit.name})
    _tell_school(referral, step="discharged", exclude=actor.pk,
                 subject=_("%(unit)s discharged the student: plan the return-to-school assessment.")
                 % {"unit": referral.to_unit.name})
    return referral


# ------------------------------------------------------------------------------------------- school side

@transaction.atomic
def return_assessment(*, referral: Referral, actor, decision: str, arrangements: str,
                      advice_considered: bool) -> Referral:
    """The school's return-to-school assessment (复学评估), made with the hospital's advice at hand. A return
    (with or without support) brings the referral to "back at school"; a postponed return is recorded and the
    referral stays open for the next assessment."""
    referral = _lock(referral)
    _school_side(actor, referral, roles.RETURN_ASSESS)
    _status_is(referral, (S.DISCHARGED,), _("The return-to-school assessment follows the hospital's discharge."))
    if decision not in Referral.ReturnDecision.values:
        raise ReferralError(_("Choose the decision of the return-to-school assessment."))
    if not advice_considered:
        raise ReferralError(_("Read the hospital's return-to-school advice and confirm the assessment took it into "
                              "account."))
    arrangements = _text(arrangements, required=decision != Referral.ReturnDecision.RETURN,
                         message=_("Write the arrangements at school (or why the return is postponed)."))
    now = clock()
    updates = {"return_assessed_at": now, "return_assessed_by": actor, "return_decision": decision,
               "return_arrangements": arrangements}
    if decision != Referral.ReturnDecision.POSTPONE:
        updates["status"] = S.RETURNED
    referral = _move(referral, from_statuses=(S.DISCHARGED,), updates=updates)
    _event(referral, kind=Kind.RETURN_ASSESSED, actor=actor, at=now, note=arrangements)
    return referral


@transaction.atomic
def referral_close(*, referral: Referral, actor, note: str = "") -> Referral:
    """Close a referral whose care is over: after the return to school, or when care ended without one (a note
    says why)."""
    referral = _lock(referral)
    _school_side(actor, referral, roles.REFERRAL_MAKE)
    closable = (S.RETURNED, S.DISCHARGED, S.SEEN)
    _status_is(referral, closable, _("A referral is closed after the student was seen; before that, withdraw it."))
    note = _text(note, required=referral.status != S.RETURNED,
                 message=_("Say why the referral is closed before the student is back at school."))
    now = clock()
    referral = _move(referral, from_statuses=closable, updates={"status": S.CLOSED, "closed_at": now})
    _event(referral, kind=Kind.CLOSED, actor=actor, at=now, note=note)
    return referral


@transaction.atomic
def referral_withdraw(*, referral: Referral, actor, reason: str) -> Referral:
    """The school takes back a referral before the first visit (the family chose another hospital, it was sent to
    the wrong unit). The receiving side is told and loses the student."""
    referral = _lock(referral)
    _school_side(actor, referral, roles.REFERRAL_MAKE)
    withdrawable = (S.SENT, S.ACCEPTED)
    _status_is(referral, withdrawable, _("A referral can be withdrawn until the first visit; after it, close it."))
    reason = _text(reason, required=True, message=_("Say why the referral is withdrawn."))
    now = clock()
    referral = _move(referral, from_statuses=withdrawable, updates={"status": S.WITHDRAWN, "closed_at": now})
    _event(referral, kind=Kind.WITHDRAWN, actor=actor, at=now, note=reason)
    _tell(receiver_ids(referral.to_unit), referral=referral, step="withdrawn", link=False,
          subject=_("A referral from %(school)s was withdrawn.") % {"school": referral.from_school.name})
    return referral


# ------------------------------------------------------------------------------------ nobody has answered

def unanswered_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Referrals still waiting for the receiving side's answer too long: a green-channel referral after
    settings.REFERRAL_URGENT_ANSWER_HOURS (2 h), any other after REFERRAL_ANSWER_DAYS (3 days). The receiving unit's
    people are reminded, and the student's district centre and the referring school are told, so someone phones
    (with the SMS channel where the urgent ones are concerned). Once per referral (the notification's dedupe key);
    run by the scheduler with the escalation sweep."""
    now = now or clock()
    urgent_cutoff = now - timedelta(hours=settings.REFERRAL_URGENT_ANSWER_HOURS)
    routine_cutoff = now - timedelta(days=settings.REFERRAL_ANSWER_DAYS)
    waiting = (Referral.objects.filter(status=Referral.Status.SENT)
               .filter(Q(urgent=True, referred_at__lte=urgent_cutoff) | Q(urgent=False, referred_at__lte=routine_cutoff))
               .select_related("to_unit", "student", "from_school").order_by("-urgent", "referred_at")[:500])
    told = {"urgent": 0, "routine": 0}
    centre_codes = roles.roles_at(OrgUnit.Kind.DISTRICT, roles.REFERRAL_RECEIVE)
    for referral in waiting:
        with translation.override(settings.LANGUAGE_CODE):
            subject = (_("Green-channel referral #%(id)s to %(unit)s has had no answer for %(hours)s hours")
                       if referral.urgent else
                       _("Referral #%(id)s to %(unit)s has had no answer for %(days)s days")) % {
                "id": referral.pk, "unit": referral.to_unit.name,
                "hours": int((now - referral.referred_at).total_seconds() // 3600),
                "days": (now - referral.referred_at).days}
        people = set(receiver_ids(referral.to_unit))
        people |= set(people_selectors.assignments_in_force()
                      .filter(org_unit_id=referral.student.district_id, role__in=centre_codes, user__is_active=True)
                      .values_list("user_id", flat=True))
        people.add(referral.referred_by_id)
        new = notify.notify(recipient_ids=sorted(people), kind="referral_unanswered", subject=subject,
                            url=_url(referral), ref=f"referral:{referral.pk}",
                            channels=("inbox", "sms") if referral.urgent else ("inbox",),
                            dedupe=f"referral:{referral.pk}:unanswered")
        if new:
            told["urgent" if referral.urgent else "routine"] += 1
    return told

"""Parent accounts from the roster's guardians (家长账号).

A parent signs in with the phone number the roster lists for them and a one-time SMS code
(accounts/sms_codes.py), or with the printed invitation code and that phone. Either way `account_for_phone`
finds or makes the one account of that phone, names it on every guardian row carrying the phone
(people/guardians.py) and gives it the parent role for each of those children (accounts/grants.py): one
parent, several children. The roster stays the truth: the scoping layer checks the guardian row at every
request (access/scope.py), so a guardian taken off the roster loses the child at once; signing in again tidies
the role rows.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from runxin import audit
from runxin.access import roles, scope
from runxin.org.models import OrgUnit
from runxin.people.guardians import guardians_link, guardians_with_phone
from runxin.people.models import Guardian, Student

from . import grants
from .models import InvitationCode, User
from .sms_codes import CodeRefused, _count, _key, normalise_phone

USERNAME_PREFIX = "parent-"
INVITATION_DAYS = 90
FAILURES_PER_ADDRESS = 10
FAILURE_WINDOW = timedelta(minutes=10)
# No look-alike characters (0/O, 1/I/L): the code is typed from paper.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_SALT = "runxin.accounts.parent-invitation"


class ParentSignInRefused(CodeRefused):
    """The phone and code open no account; str() is the sentence to show."""


# ----------------------------------------------------------------------------------------------- accounts

def _find_account(phone: str) -> User | None:
    """The account of this phone: one already named on a guardian row with the phone (the demo's parent login is
    one), else the one made for the phone earlier. A staff account that carries the same phone is never a
    parent's account (grants.py keeps student-side and staff roles apart)."""
    candidates = (User.objects.filter(Q(guardianships__phone=phone, phone=phone)
                                      | Q(username=f"{USERNAME_PREFIX}{phone}")).distinct().order_by("pk"))
    for user in candidates:
        if not grants.held_roles(user) - grants.staff.STUDENT_SIDE_ROLES:
            return user
    return None


@transaction.atomic
def account_for_phone(phone: str) -> User:
    """Find or make the parent account of `phone`, link it to every guardian row carrying the phone and hold the
    parent role for each child. Raises ParentSignInRefused when no roster guardian carries the phone (any more)
    or the account was switched off."""
    guardians = guardians_with_phone(phone)
    if not guardians:
        raise ParentSignInRefused(_("No pupil's roster lists this phone number any more. Ask the head teacher."))
    user = _find_account(phone)
    if user is None:
        user = User(username=f"{USERNAME_PREFIX}{phone}", phone=phone, display_name=guardians[0].name[:60])
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same parent on two devices at once
            user = User.objects.get(username=f"{USERNAME_PREFIX}{phone}")
    if not user.is_active:
        raise ParentSignInRefused(_("This account has been switched off. Ask the head teacher."))
    linked = guardians_link(phone=phone, user=user)
    grants.parent_roles_hold(user=user, students=[g.student for g in linked])
    return user


def children_of(user) -> list[Student]:
    """The children the parent reaches now (through the scoping layer), with their class and school."""
    return list(scope.students(user, roles.PARENT_HOME).select_related("school_class", "school").order_by("name"))


# -------------------------------------------------------------------------------------- printed invitations

def _hash(code: str) -> str:
    return salted_hmac(_SALT, code, algorithm="sha256").hexdigest()


def normalise_code(raw: str) -> str:
    return "".join(c for c in (raw or "").upper() if c.isalnum())


@dataclass(frozen=True)
class Invitation:
    guardian: Guardian
    code: str  # shown once, on the printed slip: "ABCD-EFGH"


def invitable_guardians(*, actor, school_class: OrgUnit) -> list[Guardian]:
    """Guardians of the class's enrolled pupils who have a phone on the roster and no account yet."""
    if school_class.kind != OrgUnit.Kind.CLASS or not scope.unit_permission(actor, school_class, roles.PARENT_INVITE):
        raise PermissionDenied(roles.PARENT_INVITE)
    return list(Guardian.objects.filter(student__school_class=school_class, student__status=Student.Status.ENROLLED,
                                        user__isnull=True).exclude(phone="")
                .select_related("student").order_by("student__name", "student_id", "position"))


@transaction.atomic
def invitations_issue(*, actor, school_class: OrgUnit) -> list[Invitation]:
    """New invitation codes for the class's guardians without an account (earlier unused codes of theirs are
    voided: the new sheet replaces the old). Audited as one event naming the class and the count."""
    guardians = invitable_guardians(actor=actor, school_class=school_class)
    now = timezone.now()
    InvitationCode.objects.filter(guardian__in=guardians, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now)
    issued = []
    for guardian in guardians:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        InvitationCode.objects.create(guardian=guardian, code_hash=_hash(code), created_by=actor, created_at=now)
        issued.append(Invitation(guardian, f"{code[:4]}-{code[4:]}"))
    audit.record_event(school_class, action="update", actor=actor,
                       changes={"parent_invitations": ["", f"{len(issued)} issued"]})
    return issued


@transaction.atomic
def invitation_redeem(*, code: str, phone: str, ip: str | None) -> User:
    """The printed code and the guardian's phone open the parent account (the code is spent). Raises
    ParentSignInRefused; the same sentence for a wrong code and a phone that does not match it."""
    phone = normalise_phone(phone)
    key = _key("invite-failures", ip or "")
    if (cache.get(key) or 0) >= FAILURES_PER_ADDRESS:
        raise ParentSignInRefused(_("Too many wrong invitation codes from this network. Wait ten minutes."))
    wrong = ParentSignInRefused(_("This invitation code and phone number do not match a guardian on the roster. "
                                  "Check both, or ask the head teacher for a new letter."))
    cleaned = normalise_code(code)
    now = timezone.now()
    invitation = None
    if len(cleaned) == 8:
        invitation = (InvitationCode.objects.select_for_update().select_related("guardian")
                      .filter(code_hash=_hash(cleaned), used_at__isnull=True, voided_at__isnull=True,
                              created_at__gt=now - timedelta(days=INVITATION_DAYS)).first())
    if invitation is None or invitation.guardian.phone != phone:
        _count(key, int(FAILURE_WINDOW.total_seconds()))
        raise wrong
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return account_for_phone(phone)



# ------------------------------------------------------------------------------ "the school asks you to call"

@dataclass(frozen=True)
class CallRequest:
    parents: int  # parent accounts linked on the roster
    sent: bool  # False: this teacher already asked them today (nothing sent twice)
    without_account: list[Guardian]  # guardians with no parent account yet: the teacher phones them


def call_request_send(*, actor, student: Student) -> CallRequest:
    """Ask a student's parents to call the school (家校联系): a short SMS/WeChat notice to every parent account
    linked on the roster, naming the teacher and the number to call and nothing about why (a message on a
    family phone can be read by anyone in the house). Once per teacher, student and day, however often the
    button is pressed. Guardians without an account are returned so the teacher phones them directly."""
    if roles.GUARDIAN_CONTACT not in scope.ordinary_permissions(actor, student):
        raise PermissionDenied("guardian contact")
    from runxin.notify.services import notify

    guardians = list(Guardian.objects.filter(student=student).select_related("user").order_by("position", "id"))
    parent_ids = [g.user_id for g in guardians if g.user_id and g.user and g.user.is_active
                  and g.user.phone and g.user.phone == g.phone]
    without = [g for g in guardians if g.user_id not in parent_ids and g.phone]
    if not parent_ids:
        return CallRequest(0, False, without)
    teacher = actor.display_name or actor.username
    school = student.school.name if student.school_id else ""
    callback = actor.phone or _("the school's office")
    subject = _("%(school)s: %(teacher)s asks you to call about %(name)s") % {
        "school": school, "teacher": teacher, "name": student.name}
    body = _("Please call %(teacher)s at %(number)s when you can. This is a routine contact from the school.") % {
        "teacher": teacher, "number": callback}
    told = notify(recipient_ids=parent_ids, kind="family.call_request", subject=subject, body=body,
                  channels=("sms", "wechat", "inbox"), ref=f"student:{student.pk}",
                  dedupe=f"call-request:{student.pk}:{actor.pk}:{timezone.localdate().isoformat()}")
    return CallRequest(len(parent_ids), told > 0, without)

"""The school's crisis intervention team (心理危机干预小组): who is on it, with which duty and duty phone.

Named by the school leader or psychology teacher (crisis_team.manage at the school); read by the school's staff who
hold the case file permission and by the centre staff above the school. Every change is in the change log
(CrisisTeamMember is registered in apps.py)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.accounts.models import User
from runxin.org.models import OrgUnit
from runxin.people import selectors as people_selectors

from .models import CrisisTeamMember

Duty = CrisisTeamMember.Duty
DUTY_ORDER = [Duty.LEADER, Duty.DEPUTY, Duty.PSYCH, Duty.SAFETY, Duty.MEDICAL, Duty.LIAISON, Duty.MEMBER]
PHONE_CHARS = set("0123456789+- ")


class TeamError(ValueError):
    """A change to the team that cannot be made as asked; the message is for the user."""


def _active_assignments(today=None):
    return people_selectors.assignments_in_force(today).filter(user__is_active=True)


def school_staff(school: OrgUnit) -> QuerySet[User]:
    """Staff who hold a role at the school or one of its grades and classes (not the student side's roles)."""
    held = _active_assignments().filter(org_unit__path__startswith=school.path).exclude(
        role__in=roles.STUDENT_SIDE_ROLES).exclude(role__in=roles.ADMIN_ROLES)
    return User.objects.filter(pk__in=held.values("user_id"), is_active=True).order_by("display_name", "username")


def psych_teachers(school: OrgUnit) -> list[User]:
    """The school's psychology teachers (held at the school), those on the crisis team first."""
    ids = list(_active_assignments().filter(role="psych_teacher", org_unit=school)
               .order_by("pk").values_list("user_id", flat=True).distinct())
    on_team = set(CrisisTeamMember.objects.filter(school=school, ended_at__isnull=True, user_id__in=ids)
                  .values_list("user_id", flat=True))
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    ordered = sorted((uid for uid in dict.fromkeys(ids) if uid in users), key=lambda uid: (uid not in on_team, uid))
    return [users[uid] for uid in ordered]


def leaders(school: OrgUnit) -> list[User]:
    ids = _active_assignments().filter(role="school_leader", org_unit=school).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def team_of(school: OrgUnit) -> list[CrisisTeamMember]:
    """The school's current crisis team, leader first (for the team page and other pages: plans, transfers)."""
    order = Case(*[When(duty=d, then=Value(i)) for i, d in enumerate(DUTY_ORDER)], output_field=IntegerField())
    return list(CrisisTeamMember.objects.filter(school=school, ended_at__isnull=True).select_related("user")
                .annotate(duty_order=order).order_by("duty_order", "added_at", "pk"))


@dataclass(frozen=True)
class Gaps:
    no_leader: bool
    no_psych: bool

    def __bool__(self) -> bool:
        return self.no_leader or self.no_psych


def team_gaps(school: OrgUnit, members: list[CrisisTeamMember] | None = None) -> Gaps:
    """What the team lacks: a leader (组长) and a psychology teacher (by duty, or a member holding the role)."""
    members = team_of(school) if members is None else members
    psych_ids = {u.pk for u in psych_teachers(school)}
    return Gaps(
        no_leader=not any(m.duty == Duty.LEADER for m in members),
        no_psych=not any(m.duty == Duty.PSYCH or m.user_id in psych_ids for m in members),
    )


def member_or_none(school: OrgUnit, member_id: int | None) -> CrisisTeamMember | None:
    """A current member of this school's team by id (None when there is none)."""
    if not member_id:
        return None
    return CrisisTeamMember.objects.filter(pk=member_id, school=school, ended_at__isnull=True).select_related(
        "user").first()


# --------------------------------------------------------------------------------------------- who may do what

def may_view(user, school: OrgUnit) -> bool:
    """The school's staff with the case file permission (held at the school or under it) and the centres above."""
    if scope.unit_permission(user, school, roles.CASE_FILE):
        return True
    return any(roles.CASE_FILE in g.permissions and g.unit_path and g.unit_path.startswith(school.path)
               for g in scope.grants(user))


def may_manage(user, school: OrgUnit) -> bool:
    return any(roles.CRISIS_TEAM in g.permissions and g.unit_id == school.pk for g in scope.grants(user))


def school_or_404(user, unit_id: int) -> OrgUnit:
    school = OrgUnit.objects.filter(pk=unit_id, kind=OrgUnit.Kind.SCHOOL).first()
    if school is None or not may_view(user, school):
        raise Http404("No such school")
    return school


# ---------------------------------------------------------------------------------------------------- services

def _clean_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if phone and (not set(phone) <= PHONE_CHARS or sum(c.isdigit() for c in phone) < 5 or len(phone) > 20):
        raise TeamError(_("Enter the duty phone as digits (a mobile or an office number), or leave it empty."))
    return phone


@transaction.atomic
def member_add(*, actor, school: OrgUnit, user: User, duty: str, phone: str = "") -> CrisisTeamMember:
    """Name a staff member of the school to its crisis team with a duty and duty phone."""
    if not may_manage(actor, school):
        raise PermissionDenied(roles.CRISIS_TEAM)
    if duty not in Duty.values:
        raise TeamError(_("Choose the member's duty."))
    if not school_staff(school).filter(pk=user.pk).exists():
        raise TeamError(_("Only staff who hold a role at %(school)s can be on its crisis team.") % {
            "school": school.name})
    phone = _clean_phone(phone)
    current = CrisisTeamMember.objects.select_for_update().filter(school=school, ended_at__isnull=True)
    if current.filter(user=user).exists():
        raise TeamError(_("%(name)s is already on the team.") % {"name": user})
    if duty == Duty.LEADER and current.filter(duty=Duty.LEADER).exists():
        raise TeamError(_("The team already has a leader. End that membership first, then name the new leader."))
    return CrisisTeamMember.objects.create(school=school, user=user, duty=duty, phone=phone)


@transaction.atomic
def member_end(*, actor, school: OrgUnit, member: CrisisTeamMember) -> None:
    """Take a member off the team today (the row stays, with the day it ended)."""
    if not may_manage(actor, school) or member.school_id != school.pk:
        raise PermissionDenied(roles.CRISIS_TEAM)
    member = CrisisTeamMember.objects.select_for_update().get(pk=member.pk)
    if member.ended_at is not None:
        raise TeamError(_("This membership has already ended."))
    member.ended_at = timezone.now()
    member.save(update_fields=["ended_at"])

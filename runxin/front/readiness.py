"""The go-live checklist: what still stands between a city (or one district or school) and a safe first day.

Each line is counted live from the records (schools without a roster, classes without a head teacher, …) or, for
the judgements no count can make (are these warning levels the city's own?), signed by a named person. Each line
says how to fix it and links to the page where it is fixed. The only writer of ReadinessReview.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from runxin.access import policy, roles, scope
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import RoleAssignment, Student
from runxin.screening import help

from .models import ReadinessReview

SHOWN = 12  # names listed under a line; the rest is a count

# Judgements signed at the city: item → (label, what to look at, url name of the page where it is changed,
# the models whose change (in the change audit) makes a signature out of date).
REVIEWS = {
    "levels": (_("Warning levels and their policies (who is told, who acknowledges, deadlines) are this city's own"),
               "alerts:levels", ("alerts.warninglevel",)),
    "risk_phrases": (_("The risk phrases that send a report straight to the highest level are complete for this city"),
                     "alerts:risk_phrases", ("alerts.riskphrase",)),
    "consent": (_("Consent rules are agreed: guardians are told or asked before a screening, students of 14 and over "
                  "decide for themselves"), "screening:campaign_list", ()),
    "hotlines": (_("The help lines shown to students and parents are the city's (setting HELP_HOTLINES)"), "", ()),
}


@dataclass
class Line:
    code: str
    label: str
    ok: bool
    count: int = 0
    names: list[tuple[str, str]] = field(default_factory=list)  # (text, url or "")
    fix_url: str = ""
    fix_label: str = ""
    fix_by: str = ""  # when the viewer may not open the page: the roles that may (the link is dropped)
    review: ReadinessReview | None = None
    stale: bool = False  # signed, but changed since
    detail: str = ""


def may_view(user, unit: OrgUnit) -> bool:
    return scope.unit_permission(user, unit, roles.READINESS_VIEW)


def may_review(user, unit: OrgUnit) -> bool:
    return unit.kind == OrgUnit.Kind.CITY and scope.unit_permission(user, unit, roles.ALERT_LEVELS)


def units_for(user) -> list[OrgUnit]:
    """The units whose checklist the user may open: their top units and, under a city, its districts."""
    tops = scope.root_units(user, roles.READINESS_VIEW)
    found = list(tops)
    for top in tops:
        if top.kind == OrgUnit.Kind.CITY:
            found += list(OrgUnit.objects.filter(parent=top, kind=OrgUnit.Kind.DISTRICT, is_active=True)
                          .order_by("name"))
    return found


def _under(unit: OrgUnit, kind: str):
    return OrgUnit.objects.filter(kind=kind, is_active=True, path__startswith=unit.path)


def _unit_names(units, url_name: str | None = None) -> list[tuple[str, str]]:
    return [(u.name if u.kind != OrgUnit.Kind.CLASS else f"{u.parent.name if u.parent else ''} {u.name}".strip(),
             reverse(url_name, args=[u.pk]) if url_name else "") for u in units[:SHOWN]]


def checklist(user, unit: OrgUnit) -> list[Line]:
    if not may_view(user, unit):
        raise PermissionDenied("readiness")
    lines = [_school_year(), *_schools(unit), _staff_second_factor(user, unit)]
    if unit.kind in (OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT):
        lines.append(_partners(unit))
    city = unit if unit.kind == OrgUnit.Kind.CITY else OrgUnit.objects.filter(
        kind=OrgUnit.Kind.CITY, pk__in=[int(p) for p in unit.path.strip("/").split("/") if p]).first()
    if city is not None:
        lines += _reviews(city)
    _links_for(user, lines)
    return lines


def _links_for(user, lines: list[Line]) -> None:
    """Keep the links to pages the viewer may open; for the others, name the roles that may (a system
    administrator's checklist led to seven 403 pages that told them to ask for a role)."""
    held = scope.role_codes(user)
    for line in lines:
        if not line.fix_url:
            continue
        try:
            match = resolve(line.fix_url)
            route = policy.row(match.view_name)
        except (Resolver404, KeyError):
            continue
        if route.objects is not None or any(route.get.allows(code, policy.NONE) for code in held):
            continue  # a record's page: its own check answers for the unit named
        # A judgement is done by whoever signs it (may_review), not by everyone who may open the page it looks at.
        doers = _SIGNERS if line.code.startswith("review:") else sorted(route.get.allowed)
        line.fix_by = ", ".join(str(roles.role_label(code)) for code in doers if code in roles.ROLES)
        line.fix_url = ""


_SIGNERS = sorted(code for code, role in roles.ROLES.items() if roles.ALERT_LEVELS in role.permissions)


def _school_year() -> Line:
    current = SchoolYear.objects.filter(is_current=True).first()
    return Line("school_year", str(_("The current school year is set")), current is not None,
                detail=current.code if current else "", fix_url=reverse("org:rollover"),
                fix_label=str(_("School years and rollover")))


def _schools(unit: OrgUnit) -> list[Line]:
    schools = _under(unit, OrgUnit.Kind.SCHOOL).order_by("name")
    # Counts only (which schools have anyone enrolled), through the scoping layer's placement filter.
    enrolled = scope.students_under(unit).filter(status=Student.Status.ENROLLED)
    no_roster = schools.exclude(pk__in=enrolled.values("school_id"))
    classes = _under(unit, OrgUnit.Kind.CLASS).select_related("parent").order_by("path")
    active = RoleAssignment.objects.filter(is_active=True)
    no_head = classes.exclude(pk__in=active.filter(role="head_teacher").values("org_unit_id"))
    no_psych = schools.exclude(pk__in=active.filter(role="psych_teacher").values("org_unit_id"))
    no_leader = schools.exclude(pk__in=active.filter(role="school_leader").values("org_unit_id"))
    staff_url, staff_label = reverse("accounts:staff_list"), str(_("Staff accounts and roles"))
    return [
        Line("schools", str(_("There is at least one school")), schools.exists(), count=schools.count(),
             fix_url=reverse("org:unit", args=[unit.pk]), fix_label=str(_("Region"))),
        Line("rosters", str(_("Every school has its roster imported")), not no_roster.exists(), no_roster.count(),
             _unit_names(no_roster, "org:unit"), reverse("imports:roster_upload"), str(_("Import students"))),
        Line("head_teachers", str(_("Every class has a head teacher")), not no_head.exists(), no_head.count(),
             _unit_names(no_head, "org:unit"), staff_url, staff_label),
        Line("psych_teachers", str(_("Every school has a psychology teacher")), not no_psych.exists(),
             no_psych.count(), _unit_names(no_psych, "org:unit"), staff_url, staff_label),
        Line("school_leaders", str(_("Every school has a leader who receives red warnings")), not no_leader.exists(),
             no_leader.count(), _unit_names(no_leader, "org:unit"), staff_url, staff_label),
    ]


def _staff_second_factor(user, unit: OrgUnit) -> Line:
    """Staff who will see identified risk data but have no second factor yet (they are stopped at sign-in)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    needing = [code for code, role in roles.ROLES.items() if role.needs_second_factor]
    holders = (RoleAssignment.objects.filter(is_active=True, role__in=needing, user__is_active=True)
               .filter(Q(org_unit__path__startswith=unit.path)))
    missing = (holders.exclude(user_id__in=TOTPDevice.objects.filter(confirmed=True).values("user_id"))
               .select_related("user").order_by("user__display_name", "user__username"))
    users, seen = [], set()
    for assignment in missing:
        if assignment.user_id not in seen:
            seen.add(assignment.user_id)
            users.append(assignment.user)
    may_manage = scope.has_permission(user, roles.STAFF_MANAGE)
    names = [(f"{u} · {u.username}", reverse("accounts:staff_detail", args=[u.pk]) if may_manage else "")
             for u in users[:SHOWN]]
    line = Line("second_factor", str(_("Every staff member who sees risk data has set up a second factor")),
                not users, len(users), names, reverse("accounts:staff_list") if may_manage else "",
                str(_("Staff accounts and roles")) if may_manage else "")
    if settings.SECOND_FACTOR_WAIVED:
        line.detail = str(_("The second factor is waived on this server (demo): turn RUNXIN_WAIVE_SECOND_FACTOR off "
                            "before going live."))
        line.ok = False
    return line


def _partners(unit: OrgUnit) -> Line:
    city_path = "/" + unit.path.strip("/").split("/")[0] + "/"
    hospitals = OrgUnit.objects.filter(kind=OrgUnit.Kind.HOSPITAL, is_active=True, path__startswith=city_path)
    return Line("partners", str(_("At least one partner hospital receives referrals")), hospitals.exists(),
                hospitals.count(), _unit_names(hospitals.order_by("name")), reverse("org:tree"), str(_("Region")))


def _changed_since(models: tuple[str, ...], since: datetime) -> bool:
    if not models:
        return False
    from auditlog.models import LogEntry

    types = [ContentType.objects.get_by_natural_key(*label.split(".")) for label in models]
    return LogEntry.objects.filter(content_type__in=types, timestamp__gt=since).exists()


def _reviews(city: OrgUnit) -> list[Line]:
    latest = {}
    for review in ReadinessReview.objects.filter(unit=city, item__in=REVIEWS).select_related("reviewed_by"):
        latest.setdefault(review.item, review)  # newest first (Meta.ordering)
    lines = []
    for code, (label, url_name, watched) in REVIEWS.items():
        review = latest.get(code)
        stale = review is not None and _changed_since(watched, review.reviewed_at)
        line = Line(f"review:{code}", str(label), review is not None and not stale, review=review, stale=stale,
                    fix_url=reverse(url_name) if url_name else "",
                    fix_label=str(pgettext_lazy("verb: open a page", "Open")) if url_name else "")
        if code == "hotlines":
            line.detail = " · ".join(f"{number} {name}" for number, name in help.hotlines())
        lines.append(line)
    return lines


def review_record(*, user, unit: OrgUnit, item: str, note: str = "") -> ReadinessReview:
    """Sign one judgement of the checklist (the city administrator, at the city)."""
    if item not in REVIEWS:
        raise ValueError(f"unknown checklist item {item!r}")
    if not may_review(user, unit):
        raise PermissionDenied("readiness review")
    return ReadinessReview.objects.create(unit=unit, item=item, reviewed_by=user, reviewed_at=timezone.now(),
                                          note=(note or "").strip()[:500])

"""Post-incident review (复盘, Jiaxing) after a serious incident: a structured review with a timeline, findings and
actions, written by the school and read (and added to) by the district and city centres.

Who sees a review: whoever holds incident.review at the review's school or above it (the school's leader and
psychology teacher, the district's and the city's centre staff) — scope.units(user, incident.review) against the
school's path. The timeline, findings and actions are encrypted at rest; the change log withholds them."""

import json
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.alerts.models import Warning as AlertWarning
from runxin.notify import services as notify_services
from runxin.org.models import OrgUnit
from runxin.people.models import RoleAssignment, Student

from .models import IncidentReview

TEXT_MAX = 20_000
LINE_MAX = 1_000
TIMELINE_MAX = 200


class IncidentError(ValueError):
    """A review step that cannot be taken as asked; the message is for the user."""


# -------------------------------------------------------------------------------------------------- selectors

def review_schools(user) -> QuerySet[OrgUnit]:
    """The schools whose reviews the user may read and add to (incident.review at the school or above)."""
    return scope.units(user, roles.INCIDENT_REVIEW).filter(kind=OrgUnit.Kind.SCHOOL)


def reviews_visible(user) -> QuerySet[IncidentReview]:
    return IncidentReview.objects.filter(school__in=scope.units(user, roles.INCIDENT_REVIEW))


def review_or_404(user, review_id: int) -> IncidentReview:
    review = (reviews_visible(user).select_related("school", "district", "student", "author", "finalised_by", "warning")
              .filter(pk=review_id).first())
    if review is None:
        raise Http404("No such review")
    return review


def named_students(user, reviews) -> set[int]:
    """Which of the students these reviews name the user still reaches (the others are not named to them)."""
    ids = {r.student_id for r in reviews if r.student_id}
    if not ids:
        return set()
    return set(scope.students(user, roles.STUDENT_ROSTER).filter(pk__in=ids).values_list("pk", flat=True))


def timeline_of(review: IncidentReview) -> list[dict]:
    """The review's timeline lines [{"at": iso datetime, "what": text}], in time order."""
    try:
        lines = json.loads(review.timeline or "[]")
    except ValueError:
        return []
    clean = [line for line in lines if isinstance(line, dict) and line.get("what")]
    for line in clean:
        line["at_dt"] = parse_datetime(str(line.get("at", ""))) if line.get("at") else None
    return sorted(clean, key=lambda line: str(line.get("at", "")))


def may_edit(user, review: IncidentReview) -> bool:
    return review.status == IncidentReview.Status.DRAFT and scope.unit_permission(
        user, review.school, roles.INCIDENT_REVIEW)


# --------------------------------------------------------------------------------------------------- services

def _district_of(school: OrgUnit) -> OrgUnit:
    district = OrgUnit.objects.filter(pk__in=school.ancestor_ids, kind=OrgUnit.Kind.DISTRICT).first()
    if district is None:
        raise IncidentError(_("This school is not under a district."))
    return district


@transaction.atomic
def review_create(*, actor, school: OrgUnit, kind: str, incident_on: date, student: Student | None = None,
                  warning: AlertWarning | None = None) -> IncidentReview:
    """Open a review (draft) of an incident at the school; the district centre is told."""
    if school.kind != OrgUnit.Kind.SCHOOL or not scope.unit_permission(actor, school, roles.INCIDENT_REVIEW):
        raise PermissionDenied(roles.INCIDENT_REVIEW)
    if kind not in IncidentReview.Kind.values:
        raise IncidentError(_("Choose the kind of incident."))
    if incident_on is None or incident_on > timezone.localdate():
        raise IncidentError(_("The date of the incident cannot be in the future."))
    if student is not None:
        if student.school_id != school.pk or not scope.students(actor, roles.STUDENT_ROSTER).filter(
                pk=student.pk).exists():
            raise IncidentError(_("The student must be one of %(school)s's students.") % {"school": school.name})
    if warning is not None:
        if student is None or warning.student_id != student.pk:
            raise IncidentError(_("The warning must be about the student the review names."))
    district = _district_of(school)
    review = IncidentReview.objects.create(
        school=school, district=district, student=student, warning=warning, kind=kind, incident_on=incident_on,
        author=actor, created_at=timezone.now())
    centre = RoleAssignment.objects.filter(role="centre_staff", is_active=True, org_unit=district) \
        .exclude(user_id=actor.pk).values_list("user_id", flat=True)
    notify_services.notify(
        recipient_ids=list(centre), kind="incident_review", subject=_("A post-incident review was opened"),
        body=_("%(school)s opened a post-incident review (复盘) of an incident on %(day)s.") % {
            "school": school.name, "day": incident_on.isoformat()},
        url=reverse("cases:incident", args=[review.pk]), ref=f"incident:{review.pk}",
        dedupe=f"incident-review-opened:{review.pk}")
    return review


def _check_edit(actor, review: IncidentReview) -> IncidentReview:
    review = IncidentReview.objects.select_for_update().select_related("school").get(pk=review.pk)
    if not scope.unit_permission(actor, review.school, roles.INCIDENT_REVIEW):
        raise PermissionDenied(roles.INCIDENT_REVIEW)
    if review.status != IncidentReview.Status.DRAFT:
        raise IncidentError(_("The review is final and can no longer be changed."))
    return review


def _clean_timeline(timeline) -> list[dict]:
    lines = []
    for line in timeline:
        at, what = line.get("at"), str(line.get("what", "")).strip()
        if isinstance(at, datetime):
            at = at.isoformat()
        if not at or parse_datetime(str(at)) is None:
            raise IncidentError(_("Each line of the timeline needs a date and time."))
        if not what:
            raise IncidentError(_("Each line of the timeline needs what happened."))
        if len(what) > LINE_MAX:
            raise IncidentError(_("A line of the timeline is too long (at most %(n)d characters).") % {"n": LINE_MAX})
        lines.append({"at": str(at), "what": what})
    if len(lines) > TIMELINE_MAX:
        raise IncidentError(_("The timeline is too long (at most %(n)d lines).") % {"n": TIMELINE_MAX})
    return sorted(lines, key=lambda line: line["at"])


def _clean_text(value: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise IncidentError(_("%(field)s is too long (at most %(n)d characters).") % {"field": label, "n": TEXT_MAX})
    return value


@transaction.atomic
def review_update(*, actor, review: IncidentReview, timeline: list[dict] | None = None, findings: str | None = None,
                  actions: str | None = None) -> IncidentReview:
    """Change a draft review: the timeline (a list of {"at", "what"}), the findings, the actions. None keeps a part
    as it is."""
    review = _check_edit(actor, review)
    changed = []
    if timeline is not None:
        review.timeline = json.dumps(_clean_timeline(timeline), ensure_ascii=False)
        changed.append("timeline")
    if findings is not None:
        review.findings = _clean_text(findings, _("Findings"))
        changed.append("findings")
    if actions is not None:
        review.actions = _clean_text(actions, _("Actions"))
        changed.append("actions")
    if changed:
        review.save(update_fields=changed)
    return review


@transaction.atomic
def review_timeline_add(*, actor, review: IncidentReview, at: datetime, what: str) -> IncidentReview:
    """Add one line to the timeline of a draft review."""
    review = _check_edit(actor, review)
    lines = [{"at": line["at"], "what": line["what"]} for line in timeline_of(review)]
    return review_update(actor=actor, review=review, timeline=[*lines, {"at": at, "what": what}])


@transaction.atomic
def review_finalise(*, actor, review: IncidentReview, now: datetime | None = None) -> IncidentReview:
    """Close the review: it needs findings and actions; it can no longer be changed afterwards."""
    review = _check_edit(actor, review)
    if not review.findings.strip() or not review.actions.strip():
        raise IncidentError(_("Write the findings and the actions before finalising the review."))
    review.status = IncidentReview.Status.FINAL
    review.finalised_at, review.finalised_by = now or timezone.now(), actor
    review.save(update_fields=["status", "finalised_at", "finalised_by"])
    return review

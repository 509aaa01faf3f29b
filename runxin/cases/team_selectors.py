"""The student's file entries (一人一档, runxin/timeline.py) of the team work: mentor contacts, the case's transfers and
the post-incident reviews that name the student. Each entry shows what this viewer's detail level allows: a head
teacher or a mentor who is not the writer sees that a contact happened, not its note."""

from django.urls import reverse
from django.utils.translation import gettext as _

from runxin.access import roles
from runxin.timeline import Entry

from . import incidents, mentoring
from .models import CaseTransfer, IncidentReview, MentorContact


def _name(user) -> str:
    return str(user) if user is not None else ""


def file_entries(user, student, held: set[str]) -> list[Entry]:
    """Entries for the student's file; `held` is scope.permissions_for_student(user, student)."""
    if roles.CASE_FILE not in held:
        return []
    entries: list[Entry] = []
    forms = dict(MentorContact.Form.choices)
    for contact, readable in mentoring.contacts_of(user, student, held, limit=200):
        entries.append(Entry(
            at=contact.at, kind="mentor_contact",
            title=_("Mentor contact (%(form)s)") % {"form": forms.get(contact.form, contact.form)},
            detail=contact.note if readable else "", actor=_name(contact.mentor)))
    for transfer in CaseTransfer.objects.filter(student=student).select_related(
            "from_school", "to_school", "accepted_by"):
        if transfer.accepted_at:
            detail = _("Accepted by %(name)s on %(day)s.") % {
                "name": _name(transfer.accepted_by), "day": transfer.accepted_at.date().isoformat()}
        else:
            detail = _("Not yet accepted by the new school.")
        entries.append(Entry(
            at=transfer.at, kind="transfer",
            title=_("Case moved from %(old)s to %(new)s") % {"old": transfer.from_school.name,
                                                             "new": transfer.to_school.name},
            detail=detail, badges=() if transfer.accepted_at else (_("not yet accepted"),)))
    kinds = dict(IncidentReview.Kind.choices)
    for review in incidents.reviews_visible(user).filter(student=student).select_related("school"):
        entries.append(Entry(
            at=review.created_at, kind="incident",
            title=_("Post-incident review: %(kind)s on %(day)s") % {
                "kind": kinds.get(review.kind, review.kind), "day": review.incident_on.isoformat()},
            detail=review.get_status_display(), url=reverse("cases:incident", args=[review.pk])))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries

"""The class psych committee (班级心理委员): the head teacher appoints and ends members of their class."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles, scope
from runxin.access.decorators import requires
from runxin.converters import query_id

from . import committee, selectors


@requires(roles.COMMITTEE_APPOINT)
def class_committee(request, class_id: int):
    school_class = selectors.committee_class(request.user, class_id)
    members = list(committee.members(school_class))
    return render(request, "people/class_committee.html", {
        "school_class": school_class, "members": members, "history": selectors.committee_history(school_class),
        "candidates": [s for s in selectors.committee_candidates(request.user, school_class)
                       if s.pk not in {m.student_id for m in members}],
        "seats": committee.seats(), "seats_per_sex": committee.seats_per_sex(),
    })


@requires(roles.COMMITTEE_APPOINT)
@require_POST
def committee_appoint(request, class_id: int):
    school_class = selectors.committee_class(request.user, class_id)
    student_id = query_id(request.POST.get("student"))
    student = scope.students(request.user, roles.COMMITTEE_APPOINT).filter(pk=student_id).first() if student_id else None
    if student is None:
        messages.error(request, _("Choose a student of the class to appoint."))
        return redirect("people:class_committee", class_id=school_class.pk)
    try:
        committee.committee_appoint(actor=request.user, school_class=school_class, student=student)
        messages.success(request, _("%(name)s is now a class psych committee member.") % {"name": student.name})
    except committee.CommitteeRefused as refused:
        messages.error(request, str(refused))
    return redirect("people:class_committee", class_id=school_class.pk)


@requires(roles.COMMITTEE_APPOINT)
@require_POST
def committee_end(request, class_id: int):
    school_class = selectors.committee_class(request.user, class_id)
    appointment_id = query_id(request.POST.get("appointment"))
    appointment = committee.members(school_class).filter(pk=appointment_id).first() if appointment_id else None
    if appointment is None:
        messages.error(request, _("Choose a current member of the class's committee."))
        return redirect("people:class_committee", class_id=school_class.pk)
    try:
        committee.committee_end(actor=request.user, appointment=appointment)
        messages.success(request, _("%(name)s is no longer a class psych committee member.")
                         % {"name": appointment.student.name})
    except committee.CommitteeRefused as refused:
        messages.error(request, str(refused))
    return redirect("people:class_committee", class_id=school_class.pk)

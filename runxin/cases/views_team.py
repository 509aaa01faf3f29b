"""Pages of the team work: the school's crisis team, the mentor grid, mentor contacts, a mentor's own list, the
contact policy, transfers and post-incident reviews. Thin: parse, call a selector or service, render. Access is
declared on every view; pages that name students write their read-audit rows."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read, record_reads
from runxin.alerts import states
from runxin.alerts.models import Warning as AlertWarning
from runxin.converters import query_id

from . import forms_team as forms
from . import incidents, mentoring, team, transfer
from .models import IncidentReview, MentorContact

# ------------------------------------------------------------------------------------------------ crisis team


@requires(roles.CASE_FILE)
@require_http_methods(["GET", "POST"])
def crisis_team(request, unit_id: int):
    """The school's crisis intervention team (心理危机干预小组): read by its staff and the centres above; named by the
    school leader and the psychology teacher."""
    school = team.school_or_404(request.user, unit_id)
    manage = team.may_manage(request.user, school)
    staff = list(team.school_staff(school)[:500]) if manage else []
    form = forms.MemberForm(staff=staff)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied(roles.CRISIS_TEAM)
        if request.POST.get("op") == "end":
            member = team.member_or_none(school, query_id(request.POST.get("member")))
            if member is None:
                messages.error(request, _("That person is not on the team (any more)."))
            else:
                try:
                    team.member_end(actor=request.user, school=school, member=member)
                except team.TeamError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, _("%(name)s is no longer on the crisis team.") % {"name": member.user})
            return redirect("cases:crisis_team", unit_id=school.pk)
        form = forms.MemberForm(request.POST, staff=staff)
        if form.is_valid():
            user = next((u for u in staff if u.pk == form.cleaned_data["user"]), None)
            if user is None:
                form.add_error("user", _("Choose a staff member of the school."))
            else:
                try:
                    team.member_add(actor=request.user, school=school, user=user, duty=form.cleaned_data["duty"],
                                    phone=form.cleaned_data["phone"])
                except team.TeamError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("%(name)s is on the crisis team now.") % {"name": user})
                    return redirect("cases:crisis_team", unit_id=school.pk)
    members = team.team_of(school)
    return render(request, "cases/team/crisis_team.html", {
        "school": school, "members": members, "gaps": team.team_gaps(school, members), "manage": manage,
        "form": form,
    })


# ------------------------------------------------------------------------------------------------ mentor grid

@requires(roles.CASE_PLAN)
@require_GET
@audited_read
def mentors(request, unit_id: int):
    """The school's mentor grid: mentors' load against 1:15, at-risk students without a mentor, contacts due."""
    school = mentoring.grid_school_or_404(request.user, unit_id)
    grid = mentoring.mentor_grid(request.user, school)
    record_reads(user=request.user, request=request, record_type="cases.mentor_grid", students=grid.student_ids)
    return render(request, "cases/team/mentors.html", {"grid": grid, "school": school})


@requires(roles.MENTOR_CONTACT)
@require_http_methods(["GET", "POST"])
@audited_read
def mentor_contact_new(request, student_id: int):
    """Log a contact with a student (the paired mentor, the head teacher, the psychology teacher)."""
    student = mentoring.contact_student_or_404(request.user, student_id)
    held = scope.permissions_for_student(request.user, student)
    form = forms.ContactForm()
    if request.method == "POST":
        form = forms.ContactForm(request.POST)
        if form.is_valid():
            try:
                mentoring.contact_log(actor=request.user, student=student, at=form.cleaned_data["at"],
                                      form=form.cleaned_data["form"], note=form.cleaned_data["note"])
            except mentoring.MentoringError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The contact with %(name)s is logged.") % {"name": student.name})
                return redirect("cases:mentor_contact_new", student_id=student.pk)
    record_read(user=request.user, student=student, record_type="cases.mentor_contacts", request=request)
    risk = mentoring.risks([student.pk]).get(student.pk) if roles.STUDENT_RISK_LEVEL in held else None
    return render(request, "cases/team/contact_new.html", {
        "student": student, "form": form, "contacts": mentoring.contacts_of(request.user, student, held),
        "risk": risk, "forms_of": dict(MentorContact.Form.choices),
    })


@requires(roles.MENTOR_CONTACT)
@require_GET
@audited_read
def my_mentees(request):
    """A mentor's own paired students: last contact and whether one is overdue (made for a phone)."""
    rows = mentoring.my_mentees(request.user)
    record_reads(user=request.user, request=request, record_type="cases.my_mentees",
                 students=[r.student.pk for r in rows])
    return render(request, "cases/team/my_mentees.html", {"rows": rows, "today": timezone.localdate()})


@requires(roles.CASE_CONTACT_POLICY)
@require_http_methods(["GET", "POST"])
def contact_policy(request):
    """How often a student at each warning level is contacted by their mentor and their plan reviewed."""
    policies = mentoring.contact_policies()
    form = forms.PolicyForm(policies=policies)
    if request.method == "POST":
        form = forms.PolicyForm(request.POST, policies=policies)
        if form.is_valid():
            try:
                for p in policies:
                    mentoring.contact_policy_set(
                        actor=request.user, level=p.level,
                        mentor_contact_days=form.cleaned_data[f"contact_{p.level.pk}"],
                        review_days=form.cleaned_data[f"review_{p.level.pk}"])
            except mentoring.MentoringError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The contact policy is saved."))
                return redirect("cases:contact_policy")
    return render(request, "cases/team/contact_policy.html", {"form": form, "defaults": mentoring.DEFAULT_DAYS})


# --------------------------------------------------------------------------------------------------- transfers

@requires(roles.CASE_PLAN)
@require_http_methods(["GET", "POST"])
@audited_read
def transfers(request):
    """Cases that moved into or out of the user's schools with their students; the new team accepts them."""
    if request.method == "POST":
        found = transfer.transfer_or_none(request.user, query_id(request.POST.get("transfer")))
        if found is None:
            messages.error(request, _("No such transfer into your schools."))
        else:
            try:
                transfer.transfer_accept(actor=request.user, transfer=found)
            except PermissionDenied:
                messages.error(request, _("Only the new case lead (or, without one, the new school's team) accepts "
                                          "this case."))
            except transfer.TransferError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("You have accepted the case. It is on your school's plans now."))
        return redirect("cases:transfers")
    rows = transfer.transfers_for(request.user)
    record_reads(user=request.user, request=request, record_type="cases.transfer",
                 students=[(r.transfer.student_id, r.transfer.pk) for r in rows if r.student_name])
    return render(request, "cases/team/transfers.html", {"rows": rows})


# -------------------------------------------------------------------------------------- post-incident reviews

@requires(roles.INCIDENT_REVIEW)
@require_GET
@audited_read
def incident_list(request):
    reviews = list(incidents.reviews_visible(request.user).select_related("school", "student", "author")[:300])
    named = incidents.named_students(request.user, reviews)
    record_reads(user=request.user, request=request, record_type="cases.incident_review",
                 students=[(r.student_id, r.pk) for r in reviews if r.student_id in named])
    return render(request, "cases/team/incidents.html", {
        "reviews": reviews, "named": named,
        "can_create": incidents.review_schools(request.user).exists(),
    })


@requires(roles.INCIDENT_REVIEW)
@require_http_methods(["GET", "POST"])
def incident_new(request):
    schools = list(incidents.review_schools(request.user).order_by("name")[:500])
    form = forms.ReviewNewForm(schools=schools)
    if request.method == "POST":
        form = forms.ReviewNewForm(request.POST, schools=schools)
        if form.is_valid():
            school = next(s for s in schools if s.pk == form.cleaned_data["school"])
            number = form.cleaned_data["student_number"].strip()
            student = warning = None
            if number:
                student = scope.students(request.user, roles.STUDENT_ROSTER).filter(
                    student_number=number, school_id=school.pk).first()
                if student is None:
                    form.add_error("student_number", _("No student with this number at %(school)s in your reach.") % {
                        "school": school.name})
                else:
                    warning = AlertWarning.objects.filter(student=student, state__in=states.OPEN).order_by(
                        "-raised_at").first()
            if form.is_valid():
                try:
                    review = incidents.review_create(
                        actor=request.user, school=school, kind=form.cleaned_data["kind"],
                        incident_on=form.cleaned_data["incident_on"], student=student, warning=warning)
                except incidents.IncidentError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("The review is open. Add the timeline, then the findings and actions."))
                    return redirect("cases:incident", review_id=review.pk)
    return render(request, "cases/team/incident_new.html", {"form": form, "schools": schools})


@requires(roles.INCIDENT_REVIEW)
@require_http_methods(["GET", "POST"])
@audited_read
def incident(request, review_id: int):
    """One review: timeline table, findings, actions; add a line, write the texts, finalise."""
    review = incidents.review_or_404(request.user, review_id)
    editable = incidents.may_edit(request.user, review)
    line_form = forms.TimelineLineForm()
    text_form = forms.ReviewTextForm(initial={"findings": review.findings, "actions": review.actions})
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "line":
                line_form = forms.TimelineLineForm(request.POST)
                if line_form.is_valid():
                    incidents.review_timeline_add(actor=request.user, review=review, at=line_form.cleaned_data["at"],
                                                  what=line_form.cleaned_data["what"])
                    messages.success(request, _("The line is added to the timeline."))
                    return redirect("cases:incident", review_id=review.pk)
            elif op == "text":
                text_form = forms.ReviewTextForm(request.POST)
                if text_form.is_valid():
                    incidents.review_update(actor=request.user, review=review,
                                            findings=text_form.cleaned_data["findings"],
                                            actions=text_form.cleaned_data["actions"])
                    messages.success(request, _("The findings and actions are saved."))
                    return redirect("cases:incident", review_id=review.pk)
            elif op == "finalise":
                incidents.review_finalise(actor=request.user, review=review)
                messages.success(request, _("The review is final."))
                return redirect("cases:incident", review_id=review.pk)
            else:
                messages.error(request, _("Nothing was changed."))
                return redirect("cases:incident", review_id=review.pk)
        except incidents.IncidentError as error:
            messages.error(request, str(error))
            if op == "finalise":
                return redirect("cases:incident", review_id=review.pk)
        except PermissionDenied:
            messages.error(request, _("You cannot change this review."))
            return redirect("cases:incident", review_id=review.pk)
    named = incidents.named_students(request.user, [review])
    if review.student_id in named:
        record_read(user=request.user, student=review.student, record_type="cases.incident_review",
                    record_id=review.pk, request=request)
    return render(request, "cases/team/incident.html", {
        "review": review, "timeline": incidents.timeline_of(review), "editable": editable,
        "line_form": line_form, "text_form": text_form, "named": review.student_id in named,
        "final": review.status == IncidentReview.Status.FINAL,
    })

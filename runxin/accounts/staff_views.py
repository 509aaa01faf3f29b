"""Staff and role administration (人员与角色管理) and mentor pairing (师生结对)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles, scope
from runxin.access.decorators import requires, signed_in
from runxin.converters import query_id, query_page
from runxin.people.models import MentorPair, RoleAssignment

from . import grants, selectors, services, staff
from .forms import RoleUnitFields, StaffCreateForm, StaffFilterForm

MAX_PAGE = 100_000  # 5 million rows at 50 a page; a page number beyond it is read as page 1


def _page(value) -> int:
    return query_page(value, MAX_PAGE)


def _unit_choices(user, role: str, q: str = "", selected=None) -> list[tuple[int, str]]:
    if role not in staff.STAFF_ROLES:
        return []
    units = selectors.grant_units(user, role, q)
    chosen = selectors.unit_for_grant(user, role, selected) if selected else None
    if chosen is not None and chosen not in units:
        units.insert(0, chosen)
    return [(u.pk, selectors.unit_label(u)) for u in units]


@requires(roles.STAFF_MANAGE)
def staff_list(request):
    form = StaffFilterForm(request.GET or None, actor=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.staff_search(request.user, q=filters.get("q", ""), role=filters.get("role", ""),
                                status=filters.get("status", ""))
    page = selectors.staff_page(request.user, qs, _page(request.GET.get("page")))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "may_create": bool(staff.grantable_roles(request.user))}
    template = "accounts/_staff_rows.html" if request.htmx and request.htmx.target == "staff-results" else "accounts/staff_list.html"
    return render(request, template, context)


@requires(roles.STAFF_MANAGE)
def unit_options(request):
    """The <option>s of the unit list for a role (htmx), narrowed by part of a name or an exact code."""
    role = request.GET.get("role", "")
    choices = _unit_choices(request.user, role, request.GET.get("unit_q", ""))
    return render(request, "accounts/_unit_options.html", {"choices": choices, "role_chosen": bool(role)})


@requires(roles.STAFF_MANAGE)
def staff_create(request):
    if not staff.grantable_roles(request.user):
        raise PermissionDenied("no role to grant")
    role = request.POST.get("role") or request.GET.get("role", "")
    unit_q = request.POST.get("unit_q") or request.GET.get("unit_q", "")
    choices = _unit_choices(request.user, role, unit_q, request.POST.get("unit"))
    if "find_units" in request.POST:  # without JavaScript: list the units matching the search, keep the rest
        form = StaffCreateForm(initial=request.POST.dict(), actor=request.user, unit_choices=choices)
    else:
        form = StaffCreateForm(request.POST or None, actor=request.user, unit_choices=choices)
    if request.method == "POST" and form.is_bound and form.is_valid():
        data = form.cleaned_data
        unit = selectors.unit_for_grant(request.user, data["role"], data["unit"])
        try:
            if unit is None:
                raise services.StaffError(_("You cannot grant this role at the chosen unit."))
            user, password = services.staff_create(
                actor=request.user, username=data["username"], display_name=data["display_name"],
                role=data["role"], unit=unit, phone=data["phone"], email=data["email"],
            )
        except services.StaffError as error:
            form.add_error(None, str(error))
        else:
            # Shown in this response only: never stored in clear, never shown again.
            return render(request, "accounts/staff_password.html", {"member": user, "password": password,
                                                                    "created": True,
                                                                    "pending": grants.pending_of(user)})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/staff_new.html", {"form": form, "unit_q": unit_q}, status=status)


@requires(roles.STAFF_MANAGE)
def staff_detail(request, user_id: int):
    member = selectors.staff_member(request.user, user_id)
    role = request.GET.get("role", "")
    unit_q = request.GET.get("unit_q", "")
    form = RoleUnitFields(initial={"role": role}, actor=request.user,
                          unit_choices=_unit_choices(request.user, role, unit_q))
    return render(request, "accounts/staff_detail.html", {
        "member": member, "form": form, "unit_q": unit_q, "is_self": member.pk == request.user.pk,
        "pending": grants.pending_of(member),
    })


def _member_for_action(request, user_id: int):
    return selectors.staff_member(request.user, user_id)


@requires(roles.STAFF_MANAGE)
@require_POST
def assignment_add(request, user_id: int):
    member = _member_for_action(request, user_id)
    role = request.POST.get("role", "")
    form = RoleUnitFields(request.POST, actor=request.user,
                          unit_choices=_unit_choices(request.user, role, request.POST.get("unit_q", ""),
                                                     request.POST.get("unit")))
    if form.is_valid():
        unit = selectors.unit_for_grant(request.user, form.cleaned_data["role"], form.cleaned_data["unit"])
        try:
            if unit is None:
                raise services.StaffError(_("You cannot grant this role at the chosen unit."))
            outcome = services.assignment_add(actor=request.user, target=member, role=form.cleaned_data["role"],
                                              unit=unit)
        except services.StaffError as error:
            form.add_error(None, str(error))
        else:
            facts = {"role": roles.role_label(form.cleaned_data["role"]), "unit": selectors.unit_label(unit),
                     "user": member}
            if outcome.pending is not None:
                messages.info(request, _("%(role)s at %(unit)s for %(user)s awaits approval by the level above "
                                         "(the district centre or the security administrator).") % facts)
            else:
                messages.success(request, _("%(role)s at %(unit)s granted to %(user)s.") % facts)
            return redirect("accounts:staff_detail", user_id=member.pk)
    return render(request, "accounts/staff_detail.html", {
        "member": member, "form": form, "unit_q": request.POST.get("unit_q", ""),
        "is_self": member.pk == request.user.pk, "pending": grants.pending_of(member),
    }, status=400)


@requires(roles.STAFF_MANAGE)
@require_POST
def assignment_end(request, user_id: int, assignment_id: int):
    member = _member_for_action(request, user_id)
    assignment = RoleAssignment.objects.select_related("org_unit").filter(pk=assignment_id, user=member).first()
    if assignment is None:
        raise Http404("No such assignment")
    try:
        services.assignment_end(actor=request.user, assignment=assignment)
    except services.StaffError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The role %(role)s has ended.") % {"role": roles.role_label(assignment.role)})
    return redirect("accounts:staff_detail", user_id=member.pk)


def _account_action(request, user_id: int, action, done: str):
    member = _member_for_action(request, user_id)
    try:
        action(actor=request.user, target=member)
    except services.StaffError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"user": member})
    return redirect("accounts:staff_detail", user_id=member.pk)


@requires(roles.STAFF_MANAGE)
@require_POST
def user_deactivate(request, user_id: int):
    return _account_action(
        request, user_id, lambda **kw: services.user_set_active(active=False, **kw),
        _("%(user)s can no longer sign in; open sessions end at their next request."))


@requires(roles.STAFF_MANAGE)
@require_POST
def user_reactivate(request, user_id: int):
    return _account_action(request, user_id, lambda **kw: services.user_set_active(active=True, **kw),
                           _("%(user)s can sign in again."))


@requires(roles.STAFF_MANAGE)
@require_POST
def user_unlock(request, user_id: int):
    return _account_action(request, user_id, services.user_unlock, _("%(user)s is no longer locked out."))


@requires(roles.STAFF_MANAGE)
@require_POST
def second_factor_reset(request, user_id: int):
    return _account_action(request, user_id, services.second_factor_reset,
                           _("%(user)s will set up a new authenticator at their next sign-in."))


@requires(roles.STAFF_MANAGE)
@require_POST
def password_reset(request, user_id: int):
    member = _member_for_action(request, user_id)
    try:
        password = services.password_reset(actor=request.user, target=member)
    except services.StaffError as error:
        messages.error(request, str(error))
        return redirect("accounts:staff_detail", user_id=member.pk)
    return render(request, "accounts/staff_password.html", {"member": member, "password": password, "created": False})


# ---- clinical roles awaiting the level above's approval -----------------------------------------------------


@signed_in
def grant_approvals(request):
    """What waits for this person's approval: clinical roles asked for by someone below (a school leader).
    Centre staff above the unit and the security administrator decide; anyone else is refused the page."""
    if not grants.may_approve_any(request.user):
        raise PermissionDenied("no clinical authority")
    rows = grants.pending_for_approver(request.user)
    for row in rows:
        row.role_label = roles.role_label(row.role)
        row.unit_label = selectors.unit_label(row.org_unit)
    return render(request, "accounts/staff_approvals.html", {"rows": rows})


def _decide(request, pending_id: int, decide, done: str):
    if not grants.may_approve_any(request.user):
        raise PermissionDenied("no clinical authority")
    try:
        decide()
    except services.StaffError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("accounts:grant_approvals")


@signed_in
@require_POST
def grant_approve(request, pending_id: int):
    return _decide(request, pending_id, lambda: grants.approve(approver=request.user, pending_id=pending_id),
                   _("Approved: the role is held from today."))


@signed_in
@require_POST
def grant_refuse(request, pending_id: int):
    return _decide(request, pending_id,
                   lambda: grants.refuse(approver=request.user, pending_id=pending_id,
                                         reason=request.POST.get("reason", "")),
                   _("Refused: the person who asked sees your reason."))


# ---- mentor pairing --------------------------------------------------------------------------------------


@requires(roles.MENTOR_PAIR)
def mentor_list(request):
    return render(request, "accounts/mentor_list.html", {
        "mentors": selectors.mentors(request.user), "schools": selectors.pairing_schools(request.user),
    })


@requires(roles.MENTOR_PAIR)
def mentor_detail(request, mentor_id: int):
    mentor, school = selectors.mentor_or_404(request.user, mentor_id)
    q = request.GET.get("q", "")
    class_id = query_id(request.GET.get("class"))
    context = {
        "mentor": mentor, "school": school, "pairs": selectors.mentor_pairs(request.user, mentor, school),
        "candidates": selectors.pairable_students(request.user, mentor, school, q, class_id),
        "classes": selectors.school_classes(school), "q": q, "class_id": class_id,
        "searched": bool(q.strip() or class_id),
    }
    if request.htmx and request.htmx.target == "candidates":
        return render(request, "accounts/_mentor_candidates.html", context)
    return render(request, "accounts/mentor_detail.html", context)


@requires(roles.MENTOR_PAIR)
@require_POST
def mentor_pair_add(request, mentor_id: int):
    mentor, school = selectors.mentor_or_404(request.user, mentor_id)
    student_ids = [i for i in (query_id(v) for v in request.POST.getlist("student")) if i]
    if not student_ids:
        messages.error(request, _("Choose at least one student."))
        return redirect("accounts:mentor_detail", mentor_id=mentor.pk)
    students = list(scope.students(request.user).filter(pk__in=student_ids))
    paired, refused = 0, []
    for student in students:
        try:
            services.mentor_pair(actor=request.user, mentor=mentor, school=school, student=student)
            paired += 1
        except services.StaffError as error:
            refused.append(f"{student.name}: {error}")
    if len(students) < len(student_ids):
        refused.append(_("%(count)d of the chosen students are not in your school.") % {
            "count": len(student_ids) - len(students)})
    if paired:
        messages.success(request, _("%(count)d students paired with %(mentor)s.") % {"count": paired, "mentor": mentor})
    for message in refused:
        messages.error(request, message)
    return redirect("accounts:mentor_detail", mentor_id=mentor.pk)


@requires(roles.MENTOR_PAIR)
@require_POST
def mentor_pair_end(request, mentor_id: int, pair_id: int):
    mentor, school = selectors.mentor_or_404(request.user, mentor_id)
    visible = scope.students(request.user).filter(school=school)
    pair = MentorPair.objects.select_related("student").filter(pk=pair_id, mentor=mentor, student__in=visible).first()
    if pair is None:
        raise Http404("No such pair")
    try:
        services.mentor_unpair(actor=request.user, pair=pair, school=school)
    except services.StaffError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The pair with %(student)s has ended.") % {"student": pair.student.name})
    return redirect("accounts:mentor_detail", mentor_id=mentor.pk)

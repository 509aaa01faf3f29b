"""Pages of the visits app (家访, 家校联系). Thin: parse, call a selector or service, render. Every page that names a
student writes its read-audit rows in the view's own transaction (@audited_read)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read, record_reads
from runxin.people.models import Student

from . import forms, published, selectors, services
from .models import FamilyContact


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _refused(form, error: services.VisitError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error))


# --------------------------------------------------------------------------------------------- one student

@require_http_methods(["GET", "POST"])
@requires(roles.VISIT_RECORD)
@audited_read
def contact_new(request, student_id: int):
    """Record a visit or contact that happened, or plan one, for one student."""
    student = scope.student_or_404(request.user, student_id, roles.VISIT_RECORD)
    if roles.VISIT_RECORD not in scope.ordinary_permissions(request.user, student):
        raise PermissionDenied(roles.VISIT_RECORD)
    record_read(user=request.user, student=student, record_type="visits.new", request=request)
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in FamilyContact.Kind.values else {}
    initial["done_on"] = timezone.localdate()
    form = forms.ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["mode"] == forms.PLANNED:
                contact = services.contact_plan(actor=request.user, student=student, kind=data["kind"],
                                                planned_on=data["planned_on"], visitors=data["visitors"])
                messages.success(request, _("Visit planned."))
            else:
                contact = services.contact_record(
                    actor=request.user, student=student, kind=data["kind"], done_on=data["done_on"],
                    summary=data["summary"], agreed=data["agreed"], visitors=data["visitors"],
                    met_with=data["met_with"], dormitory=data["dormitory"])
                messages.success(request, _("Contact recorded."))
        except services.VisitError as error:
            _refused(form, error)
        else:
            return redirect("visits:detail", contact_id=contact.pk)
    return render(request, "visits/new.html", {
        "form": form, "student": student, "boarder": student.boarding == Student.Boarding.BOARDING,
        "earlier": selectors.student_contacts(student, limit=10),
        "text": selectors.may_read_text(scope.permissions_for_student(request.user, student)),
    }, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@requires(roles.CASE_FILE)
@audited_read
def contact_detail(request, contact_id: int):
    """One contact. Its text (what was seen and agreed) only for those who contact the family or plan the case.
    A planned one can be recorded as done or cancelled here by those who record visits."""
    contact = selectors.contact_or_404(request.user, contact_id)
    student = contact.student
    held = scope.permissions_for_student(request.user, student)
    record_read(user=request.user, student=student, record_type="visits.contact", record_id=contact.pk,
                request=request)
    can_record = roles.VISIT_RECORD in scope.ordinary_permissions(request.user, student)
    form = forms.RecordPlannedForm(initial={"kind": contact.kind, "done_on": timezone.localdate(),
                                            "visitors": contact.visitors})
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied(roles.VISIT_RECORD)
        action = request.POST.get("do", "")
        status = 400
        if action == "cancel":
            try:
                services.contact_cancel(actor=request.user, contact=contact, reason=request.POST.get("reason", ""))
            except services.VisitError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Planned visit cancelled."))
                return redirect("visits:detail", contact_id=contact.pk)
        elif action == "record":
            form = forms.RecordPlannedForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.contact_record(
                        actor=request.user, student=student, contact=contact, kind=data["kind"],
                        done_on=data["done_on"], summary=data["summary"], agreed=data["agreed"],
                        visitors=data["visitors"], met_with=data["met_with"], dormitory=data["dormitory"])
                except services.VisitError as error:
                    _refused(form, error)
                else:
                    messages.success(request, _("Contact recorded."))
                    return redirect("visits:detail", contact_id=contact.pk)
        else:
            messages.error(request, _("Choose what to do with this visit."))
    return render(request, "visits/detail.html", {
        "contact": contact, "student": student, "text": selectors.may_read_text(held),
        "can_record": can_record and contact.status == FamilyContact.Status.PLANNED, "form": form,
        "today": timezone.localdate(),
    }, status=status)


# ------------------------------------------------------------------------------------------------ a class

@require_http_methods(["GET", "POST"])
@requires(roles.VISIT_COVERAGE)
@audited_read
def class_page(request, class_id: int):
    """The head teacher's page: who in the class misses which visit, by name; plan home visits for everyone not
    yet visited; record a contact quickly."""
    school_class = selectors.class_or_404(request.user, class_id)
    can_record = scope.unit_permission(request.user, school_class, roles.VISIT_RECORD)
    data = selectors.class_coverage(request.user, school_class)
    students = [row.student for row in data.rows]
    plan_form = forms.ClassPlanForm(initial={"first_day": data.periods.today,
                                             "last_day": data.periods.today + timedelta(days=30)})
    quick_form = forms.QuickRecordForm(students=students, initial={"done_on": data.periods.today})
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied(roles.VISIT_RECORD)
        status = 400
        action = request.POST.get("do", "")
        if action == "plan":
            plan_form = forms.ClassPlanForm(request.POST)
            if plan_form.is_valid():
                c = plan_form.cleaned_data
                try:
                    planned = services.class_plan_home_visits(
                        actor=request.user, school_class=school_class, first_day=c["first_day"],
                        last_day=c["last_day"], visitors=c["visitors"], weekdays_only=c["weekdays_only"])
                except services.VisitError as error:
                    _refused(plan_form, error)
                else:
                    messages.success(request, _("%(n)s home visits planned.") % {"n": len(planned)} if planned
                                     else _("Every student of the class has a home visit done or planned this "
                                            "school year."))
                    return redirect("visits:class", class_id=school_class.pk)
        elif action == "record":
            quick_form = forms.QuickRecordForm(request.POST, students=students)
            if quick_form.is_valid():
                c = quick_form.cleaned_data
                student = next(s for s in students if s.pk == c["student"])
                try:
                    services.contact_record(
                        actor=request.user, student=student, kind=c["kind"], done_on=c["done_on"],
                        summary=c["summary"], agreed=c["agreed"], visitors=c["visitors"], met_with=c["met_with"])
                except services.VisitError as error:
                    _refused(quick_form, error)
                else:
                    messages.success(request, _("Contact with %(name)s's family recorded.") % {"name": student.name})
                    return redirect("visits:class", class_id=school_class.pk)
        else:
            messages.error(request, _("Choose what to do."))
    record_reads(user=request.user, students=[s.pk for s in students], record_type="visits.class",
                 request=request)
    return render(request, "visits/class.html", {
        "school_class": school_class, "data": data, "figures": published.cells(("unit", school_class.pk), published.exact(data.figures)),
        "labels": selectors.REQUIREMENT_LABELS, "can_record": can_record, "plan_form": plan_form,
        "quick_form": quick_form, "missing": [(selectors.REQUIREMENT_LABELS[r], r, data.missing[r])
                                              for r in selectors.REQUIREMENTS],
        "recorders": selectors.by_recorder(school_class, today=data.periods.today),
    }, status=status)


# ----------------------------------------------------------------------------------------------- coverage

@require_http_methods(["GET"])
@requires(roles.VISIT_COVERAGE)
def coverage(request):
    """Coverage rates for the user's units with drill-down (?unit=): a city's districts, a district's schools, a
    school's classes; a class opens the head teacher's page by name for those who may see the names."""
    unit_id = _int(request.GET.get("unit"))
    roots = selectors.coverage_units(request.user)
    if unit_id is None and len(roots) != 1:
        return render(request, "visits/coverage_home.html", {"units": roots})
    unit = selectors.coverage_unit_or_404(request.user, unit_id or roots[0].pk)
    if unit.kind == "class" and selectors.shows_names(request.user, unit):
        return redirect("visits:class", class_id=unit.pk)
    suppress = not selectors.shows_names(request.user, unit)
    # Outside the care team: the city's figures decided at once (published.py), so no page undoes another's.
    periods, child_kind, totals, children = (published.page if suppress else published.exact_page)(unit)
    parent = unit.parent if unit.parent_id and scope.unit_permission(request.user, unit.parent,
                                                                     roles.VISIT_COVERAGE) else None
    return render(request, "visits/coverage.html", {
        "periods": periods, "child_kind": child_kind, "unit": unit, "totals": totals, "children": children,
        "suppress": suppress and any(c["hidden"] for c in [*totals, *(x for row in children for x in row["cells"])]),
        "parent": parent, "labels": [selectors.REQUIREMENT_LABELS[r]
                                                          for r in selectors.REQUIREMENTS],
        "recorders": selectors.by_recorder(unit, today=periods.today) if unit.kind in ("school", "grade")
        else [],
    })


# ------------------------------------------------------------------------------------------------ my visits

@require_http_methods(["GET"])
@requires(roles.VISIT_RECORD)
@audited_read
def mine(request):
    """My planned visits, overdue first, then the soonest."""
    rows = selectors.mine(request.user)
    record_reads(user=request.user, students=[(c.student_id, c.pk) for c in rows], record_type="visits.mine",
                 request=request)
    return render(request, "visits/mine.html", {"rows": rows, "today": timezone.localdate(),
                                                "classes": [u for u in selectors.coverage_units(request.user)
                                                            if u.kind == "class"]})

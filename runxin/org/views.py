from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import requires
from runxin.converters import query_id

from . import forms, rollover, selectors, services
from .models import OrgUnit, RolloverRun, SchoolYear, ServiceGroupSchool


@requires(roles.ORG_BROWSE)
def tree(request):
    nodes = selectors.tree_roots(request.user)
    # With one root, open it straight away: a school leader starts at the school's grades.
    roots = [
        {"node": node, "children": selectors.children(request.user, node.unit) if len(nodes) == 1 else None}
        for node in nodes
    ]
    query = request.GET.get("q", "")[:100]
    return render(request, "org/tree.html", {
        "roots": roots, "query": query, "found": selectors.search(request.user, query) if query else None,
        "manages": scope.has_permission(request.user, roles.ORG_MANAGE),
    })


@requires(roles.ORG_BROWSE)
def children(request, unit_id: int):
    unit = scope.unit_or_404(request.user, unit_id, roles.ORG_BROWSE)
    return render(request, "org/_nodes.html", {"nodes": selectors.children(request.user, unit)})


@requires(roles.ORG_BROWSE)
def unit_page(request, unit_id: int):
    unit, ancestors = selectors.unit_detail(request.user, unit_id)
    kids = selectors.children(request.user, unit)
    node = selectors.nodes_for(request.user, [unit])[0]
    context = {
        "unit": unit, "node": node, "ancestors": ancestors, "children": kids,
        "staff": selectors.unit_staff(unit),
        "sees_students": selectors.sees_students_of(request.user, unit),
        "manages": scope.unit_permission(request.user, unit, roles.ORG_MANAGE),
    }
    if context["manages"]:
        context["child_kinds"] = [(code, services.kind_label(code)) for code in services.CHILD_KINDS.get(unit.kind, [])]
        context["movable"] = bool(services.move_targets(unit))
        context["blockers"] = services.deactivation_blockers(unit) if unit.is_active else []
        if unit.kind == OrgUnit.Kind.DISTRICT:
            context["service_groups"] = selectors.service_groups(unit)
    if unit.kind == OrgUnit.Kind.SCHOOL:
        grades = [child.unit for child in kids if child.unit.kind == OrgUnit.Kind.GRADE]
        context["breakdown"] = selectors.grade_sex_breakdown(request.user, unit, grades)
        context["past_grades"] = selectors.past_grades(unit)
    if not unit.is_active and unit.kind in {OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS}:
        context["students_that_year"] = selectors.students_that_year(request.user, unit)
    return render(request, "org/unit.html", context)


def _rollover_units(user) -> list[OrgUnit]:
    """Where the user may start a rollover: their own schools, or their city/district and its districts."""
    roots = scope.root_units(user, roles.ROLLOVER_RUN)
    choices: list[OrgUnit] = []
    for root in roots:
        if root.kind in {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.SCHOOL}:
            choices.append(root)
        if root.kind == OrgUnit.Kind.CITY:
            choices += list(OrgUnit.objects.filter(parent=root, kind=OrgUnit.Kind.DISTRICT, is_active=True)
                            .order_by("code", "name"))
    return choices


@requires(roles.ROLLOVER_RUN)
@require_http_methods(["GET", "POST"])
def rollover_page(request):
    """Preview (GET) and apply (POST) the school-year rollover for a school, a district or the whole city."""
    choices = _rollover_units(request.user)
    from_year = SchoolYear.objects.filter(is_current=True).first()
    raw = request.POST.get("unit") if request.method == "POST" else request.GET.get("unit")
    unit = None
    if raw:
        unit_id = query_id(raw)
        unit = next((c for c in choices if c.pk == unit_id), None)
        if unit is None:
            raise Http404("No such unit")
    elif len(choices) == 1:
        unit = choices[0]
    if request.method == "POST":
        if unit is None or from_year is None:
            messages.error(request, _("Choose the school, district or city to roll over."))
            return redirect("org:rollover")
        try:
            run = rollover.run_request(user=request.user, scope_unit=unit, from_year=from_year)
        except rollover.RolloverError as refused:
            messages.error(request, str(refused))
            return redirect(f"{reverse('org:rollover')}?unit={unit.pk}")
        return redirect("org:rollover_run", run_id=run.pk)
    context = {"choices": choices, "unit": unit, "from_year": from_year,
               "runs": rollover.recent_runs([c.pk for c in choices])}
    if from_year is not None:
        context["to_year_code"] = rollover.next_year_code(from_year)
    if unit is not None and from_year is not None:
        if unit.kind == OrgUnit.Kind.SCHOOL:
            context["school_preview"] = rollover.preview_school(unit, from_year)
        else:
            lines = rollover.preview_area(unit, from_year)
            context["area_preview"] = lines
            context["area_totals"] = {
                key: sum(getattr(line, key) for line in lines)
                for key in ("schools", "rolled", "promoted", "graduating", "classes_created")
            }
    return render(request, "org/rollover.html", context)


@requires(roles.ROLLOVER_RUN)
def rollover_run(request, run_id: int):
    """A run's progress; the page polls this with htmx while the run is queued or running."""
    allowed = scope.units(request.user, roles.ROLLOVER_RUN)
    run = (RolloverRun.objects.filter(pk=run_id, scope_unit__in=allowed)
           .select_related("scope_unit", "from_year", "to_year", "requested_by").first())
    if run is None:
        raise Http404("No such rollover")
    template = "org/_rollover_progress.html" if request.htmx else "org/rollover_run.html"
    return render(request, template, {"run": run})


def _manage_or_404(request, unit_id: int) -> OrgUnit:
    return scope.unit_or_404(request.user, unit_id, roles.ORG_MANAGE)


def _unit_values(form: forms.UnitForm) -> dict:
    return {key: value for key, value in form.cleaned_data.items() if value is not None}


@requires(roles.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def unit_add(request, unit_id: int):
    """Create a unit under this one (a district under the city, a school under a district, a grade under a
    school, a class under a grade, a partner institution under the city or a district)."""
    parent = _manage_or_404(request, unit_id)
    kinds = services.CHILD_KINDS.get(parent.kind, [])
    if not kinds or not parent.is_active:
        raise Http404("Nothing can be created here")
    kind = request.POST.get("kind") or request.GET.get("kind") or kinds[0]
    if kind not in kinds:
        kind = kinds[0]
    form = forms.UnitForm(request.POST if request.method == "POST" and "name" in request.POST else None,
                          kind=kind, creating=True)
    if form.is_bound and form.is_valid():
        try:
            unit = services.unit_add(parent=parent, kind=kind, values=_unit_values(form))
        except services.UnitRefused as refused:
            form.refuse(refused)
        else:
            messages.success(request, _("%(unit)s was created.") % {"unit": unit.name})
            return redirect("org:unit", unit_id=unit.pk)
    return render(request, "org/unit_form.html", {
        "parent": parent, "place": parent, "form": form, "kind": kind, "creating": True,
        "kinds": [(code, services.kind_label(code)) for code in kinds],
    })


@requires(roles.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def unit_edit(request, unit_id: int):
    unit = _manage_or_404(request, unit_id)
    initial = {key: getattr(unit, key) for key in services.EDITABLE}
    form = forms.UnitForm(request.POST if request.method == "POST" else None, initial=initial, kind=unit.kind,
                          creating=False)
    if form.is_bound and form.is_valid():
        try:
            changed = services.unit_edit(unit=unit, values=_unit_values(form))
        except services.UnitRefused as refused:
            form.refuse(refused)
        else:
            if changed:
                messages.success(request, _("The changes to %(unit)s were saved.") % {"unit": unit.name})
            return redirect("org:unit", unit_id=unit.pk)
    return render(request, "org/unit_form.html", {"unit": unit, "place": unit, "form": form, "kind": unit.kind,
                                                   "creating": False})


@requires(roles.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def unit_move(request, unit_id: int):
    """Move a school to another district, a class to another grade of its school, a partner institution."""
    unit = _manage_or_404(request, unit_id)
    allowed = scope.units(request.user, roles.ORG_MANAGE).values_list("pk", flat=True)
    targets = [t for t in services.move_targets(unit) if t.pk in set(allowed)]
    form = forms.MoveForm(request.POST if request.method == "POST" else None, targets=targets)
    if form.is_bound and form.is_valid():
        try:
            services.unit_move(unit=unit, new_parent=form.targets[form.cleaned_data["parent"]])
        except services.UnitRefused as refused:
            form.add_error("parent", refused.message)
        else:
            messages.success(request, _("%(unit)s was moved.") % {"unit": unit.name})
            return redirect("org:unit", unit_id=unit.pk)
    return render(request, "org/unit_move.html", {"unit": unit, "form": form, "targets": targets})


@requires(roles.ORG_MANAGE)
@require_http_methods(["POST"])
def unit_deactivate(request, unit_id: int):
    """Close the unit (or, with reopen=1, open it again); refused with the reasons while it is in use."""
    unit = _manage_or_404(request, unit_id)
    try:
        if request.POST.get("reopen"):
            services.unit_reactivate(unit=unit)
            messages.success(request, _("%(unit)s is open again.") % {"unit": unit.name})
        else:
            services.unit_deactivate(unit=unit)
            messages.success(request, _("%(unit)s was closed; its history is kept.") % {"unit": unit.name})
    except services.UnitRefused as refused:
        messages.error(request, _("%(unit)s cannot be closed: %(reason)s") % {"unit": unit.name,
                                                                              "reason": refused.message})
    return redirect("org:unit", unit_id=unit.pk)


@requires(roles.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def service_group_add(request, unit_id: int):
    """A district's service groups (片区) and a form to add one."""
    district = _manage_or_404(request, unit_id)
    if district.kind != OrgUnit.Kind.DISTRICT:
        raise Http404("Service groups belong to a district")
    form = forms.ServiceGroupForm(request.POST if request.method == "POST" else None, schools=[], staff=[])
    if form.is_bound and form.is_valid():
        try:
            group = services.service_group_create(district=district, name=form.cleaned_data["name"],
                                                  code=form.cleaned_data["code"])
        except services.UnitRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            return redirect("org:service_group", group_id=group.pk)
    return render(request, "org/service_groups.html", {
        "district": district, "form": form, "groups": selectors.service_groups(district)})


@requires(roles.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def service_group(request, group_id: int):
    """Edit a service group: its name and code, its schools (each in one group at most) and its staff."""
    group = selectors.service_group_or_404(request.user, group_id)
    schools = list(OrgUnit.objects.filter(district=group.district, kind=OrgUnit.Kind.SCHOOL, is_active=True)
                   .order_by("code", "name"))
    staff = selectors.centre_staff_for(group.district)
    initial = {"name": group.name, "code": group.code, "is_active": group.is_active,
               "schools": list(group.memberships.values_list("school_id", flat=True)),
               "staff": list(group.staff_links.values_list("user_id", flat=True))}
    form = forms.ServiceGroupForm(request.POST if request.method == "POST" else None, initial=initial,
                                  schools=schools, staff=staff)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        by_id = {s.pk: s for s in schools}
        users = {u.pk: u for u in staff}
        try:
            with transaction.atomic():
                services.service_group_edit(group=group, name=data["name"], code=data["code"],
                                            is_active=data["is_active"])
                services.service_group_set_schools(group=group, schools=[by_id[pk] for pk in data["schools"]])
                services.service_group_set_staff(group=group, users=[users[pk] for pk in data["staff"]])
        except services.UnitRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            messages.success(request, _("The service group %(group)s was saved.") % {"group": group.name})
            return redirect("org:service_groups", unit_id=group.district_id)
    others = dict(ServiceGroupSchool.objects.filter(school__in=schools).exclude(group=group)
                  .values_list("school_id", "group__name"))
    return render(request, "org/service_group.html", {"group": group, "form": form, "elsewhere": others})

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from runxin.access import roles, scope
from runxin.access.decorators import requires
from runxin.converters import query_id

from . import rollover, selectors
from .models import OrgUnit, RolloverRun, SchoolYear


@requires(roles.ORG_BROWSE)
def tree(request):
    nodes = selectors.tree_roots(request.user)
    # With one root, open it straight away: a school leader starts at the school's grades.
    roots = [
        {"node": node, "children": selectors.children(request.user, node.unit) if len(nodes) == 1 else None}
        for node in nodes
    ]
    return render(request, "org/tree.html", {"roots": roots})


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
    }
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

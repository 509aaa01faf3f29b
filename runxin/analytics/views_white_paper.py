"""The yearly white paper: the HTML preview of a school year's paper for a city or district, and the PDF to
publish. Thin: the content is white_paper.py's, the drawing pdf.py's."""

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from runxin.access import roles, scope
from runxin.access.decorators import requires
from runxin.org.models import OrgUnit, SchoolYear

from . import pdf, selectors, white_paper, zoning

KINDS = (OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT)


def paper_units(user) -> list[OrgUnit]:
    """The cities and districts whose white paper the user may make: where they hold WHITE_PAPER, and a city's
    districts."""
    roots = [unit for unit in scope.root_units(user, roles.WHITE_PAPER) if unit.kind in KINDS]
    units = []
    for root in roots:
        units.append(root)
        if root.kind == OrgUnit.Kind.CITY:
            units.extend(OrgUnit.objects.filter(parent=root, kind=OrgUnit.Kind.DISTRICT, is_active=True)
                         .order_by("code", "name", "pk"))
    return units


def _chosen(request) -> tuple[OrgUnit, list[OrgUnit], SchoolYear, list[SchoolYear]]:
    """The unit (?unit=<id>, default the first) and the school year (?year=2026-2027, default the current one,
    else the latest begun); a unit or year that is not offered is a 404."""
    units = paper_units(request.user)
    if not units:
        raise PermissionDenied("the white paper is made for a city or a district")
    raw_unit = request.GET.get("unit", "")
    if raw_unit:
        unit = next((u for u in units if raw_unit.isascii() and raw_unit.isdigit() and u.pk == int(raw_unit)), None)
        if unit is None:
            raise Http404("no such unit")
    else:
        unit = units[0]
    years = white_paper.school_years()
    raw_year = request.GET.get("year", "")
    if raw_year:
        year = next((y for y in years if y.code == raw_year), None)
    else:
        year = next((y for y in years if y.is_current), years[0] if years else None)
    if year is None:
        raise Http404("no such school year")
    return unit, units, year, years


def _paper(request):
    unit, units, year, years = _chosen(request)
    return white_paper.build(unit, year, latest=zoning.latest_month(), as_of=selectors.as_of()), units, years


@requires(roles.WHITE_PAPER)
@require_safe
def white_paper_page(request):
    paper, units, years = _paper(request)
    return render(request, "analytics/white_paper.html", {"paper": paper, "units": units, "years": years})


@requires(roles.WHITE_PAPER)
@require_safe
def white_paper_pdf(request):
    paper, _units, _years = _paper(request)
    response = HttpResponse(pdf.white_paper(paper), content_type="application/pdf")
    name = f"white-paper-{paper.unit.pk}-{re.sub(r'[^0-9A-Za-z-]', '', paper.year.code)}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

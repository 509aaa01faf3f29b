"""The district risk zoning page (分区警示): the city's districts as tiles coloured by zone, the same as a table,
and the method. Thin: the rule and the figures are zoning.py's."""

import re
from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_safe

from runxin.access import roles, scope
from runxin.access.decorators import requires
from runxin.org.models import OrgUnit

from . import selectors, zoning

EARLIEST = date(2000, 1, 1)
MONTHS_OFFERED = 36  # the window's last month is chosen from this many months back
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def zoning_city(user) -> tuple[OrgUnit, set[int]]:
    """The city whose districts the user may see zoned, and the districts that are their own: RISK_ZONING at
    the city opens every district's place; at a district, that district's place among the city's. Held only at
    a school (a school's supervisor), it opens nothing here."""
    roots = scope.root_units(user, roles.RISK_ZONING)
    for unit in roots:
        if unit.kind == OrgUnit.Kind.CITY:
            return unit, set()
    districts = [unit for unit in roots if unit.kind == OrgUnit.Kind.DISTRICT and unit.parent_id]
    if not districts:
        raise PermissionDenied("risk zoning is read at a city or a district")
    city = districts[0].parent
    return city, {d.pk for d in districts if d.parent_id == city.pk}


def chosen_month(request, latest: date) -> date:
    """The window's last month from ?month=YYYY-MM (default the running month); anything else is a 404."""
    raw = request.GET.get("month", "")
    if not raw:
        return latest
    match = _MONTH.match(raw)
    if not match or not 1 <= int(match[2]) <= 12:
        raise Http404("not a month")
    month = date(int(match[1]), int(match[2]), 1)
    if not EARLIEST <= month <= latest:
        raise Http404("no zoning for that month")
    return month


def _rate(rate, shown: zoning.Cell) -> str:
    """A rate per 1,000 as the viewer may see it: hidden with its count."""
    if shown.value is None or rate is None:
        return "—"
    return f"{rate:.2f}"


def _row(user, row: zoning.Row, last: date, *, exact: bool, own: bool) -> dict:
    warnings = zoning.cell(row.warnings, exact=exact)
    incidents = zoning.cell(row.incidents, exact=exact)
    link = None
    if row.unit.kind == OrgUnit.Kind.DISTRICT and scope.unit_permission(user, row.unit, roles.DASHBOARD_VIEW):
        link = reverse("analytics:dashboard_unit", kwargs={"unit_id": row.unit.pk})
    return {
        "unit": row.unit, "students": row.students, "zone": row.zone,
        "students_key": zoning.unit_key(row.unit.pk, zoning.STUDENTS, last), "students_text": f"{row.students:,}",
        "zone_label": zoning.ZONE_LABELS[row.zone] if row.zone else "",
        "warnings": warnings, "incidents": incidents, "own": own, "link": link,
        "warning_rate": _rate(row.warning_rate, warnings), "incident_rate": _rate(row.incident_rate, incidents),
    }


@requires(roles.RISK_ZONING)
@require_safe
def zoning_page(request):
    city, own = zoning_city(request.user)
    latest = zoning.latest_month()
    month = chosen_month(request, latest)
    result = zoning.zoning(city, month)
    user = request.user
    rows = [_row(user, row, result.last, exact=selectors.needs_to_know(user, row.unit), own=row.unit.pk in own)
            for row in result.districts]
    city_row = _row(user, result.city, result.last, exact=selectors.needs_to_know(user, city), own=False)
    options = [(f"{m:%Y-%m}", date_format(m, "YEAR_MONTH_FORMAT"))
               for m in (zoning.shift_month(latest, -n) for n in range(MONTHS_OFFERED))]
    return render(request, "analytics/zoning.html", {
        "city": city, "result": result, "rows": rows, "city_row": city_row,
        "zones": [(code, zoning.ZONE_LABELS[code], result.count(code)) for code in zoning.ZONES],
        "method": zoning.method(result.rule, result.first, result.last),
        "month": f"{month:%Y-%m}", "options": options, "as_of": selectors.as_of(),
        "hides": any(r["warnings"].hidden or r["incidents"].hidden for r in [*rows, city_row]),
    })

"""The dashboards (issue 13, point 1): one page per level — city, district, service group, school, grade, class —
with what that level acts on, the child units to drill down to and the trends of the last 24 months. Thin: the
page is built by dashboards.py from the stored figures; counts only, no student is named, so no read audit."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from runxin.access import roles
from runxin.access.decorators import requires

from . import dashboards


def _render(request, page: dashboards.Page, template: str = "analytics/dashboard.html", extra: dict | None = None):
    return render(request, template, {"page": page, **(extra or {})})


@requires(roles.DASHBOARD_VIEW)
@require_safe
def dashboard(request):
    """The dashboard of the user's top unit; a list of them for someone who holds the view at several units."""
    tops = dashboards.roots(request.user)
    if len(tops) == 1:
        return _render(request, dashboards.unit_page(request.user, tops[0]))
    return render(request, "analytics/dashboard_list.html", {"units": tops})


@requires(roles.DASHBOARD_VIEW)
@require_safe
def dashboard_unit(request, unit_id: int):
    return _render(request, dashboards.unit_page(request.user, dashboards.unit_or_404(request.user, unit_id)))


@requires(roles.DASHBOARD_VIEW)
@require_safe
def dashboard_group(request, group_id: int):
    return _render(request, dashboards.group_page(request.user, dashboards.group_or_404(request.user, group_id)))


def home_page(request, context: dict):
    """The home page of a city-level user (the city's dashboard, with the home page's own cards above it), or None
    for everyone else. Called by front.views.home."""
    unit = dashboards.home_unit(request.user)
    if unit is None:
        return None
    return _render(request, dashboards.unit_page(request.user, unit), "analytics/dashboard_home.html", context)

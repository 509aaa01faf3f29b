from django.urls import path

from . import views_dashboards

app_name = "analytics"
urlpatterns: list = []
# >>> dashboards
urlpatterns += [
    path("", views_dashboards.dashboard, name="dashboard"),
    path("units/<id:unit_id>/", views_dashboards.dashboard_unit, name="dashboard_unit"),
    path("groups/<id:group_id>/", views_dashboards.dashboard_group, name="dashboard_group"),
]
# <<< dashboards
# >>> zoning and white paper
from . import views_zoning  # noqa: E402 — each engineer's block imports its own views

urlpatterns += [
    path("zoning/", views_zoning.zoning_page, name="zoning"),
]
# <<< zoning and white paper

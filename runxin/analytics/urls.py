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
from . import views_white_paper, views_zoning  # noqa: E402 — each engineer's block imports its own views

urlpatterns += [
    path("zoning/", views_zoning.zoning_page, name="zoning"),
    path("white-paper/", views_white_paper.white_paper_page, name="white_paper"),
    path("white-paper/pdf/", views_white_paper.white_paper_pdf, name="white_paper_pdf"),
]
# <<< zoning and white paper

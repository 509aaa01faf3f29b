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
# >>> screening reports
from . import views_screening_reports  # noqa: E402 — each engineer's block imports its own views

urlpatterns += [
    path("screening/", views_screening_reports.screening_reports, name="screening_reports"),
    path("screening/<id:campaign_id>/<id:unit_id>/", views_screening_reports.screening_report,
         name="screening_report"),
    path("screening/<id:campaign_id>/<id:unit_id>/pdf/", views_screening_reports.screening_report_pdf,
         name="screening_report_pdf"),
    path("screening/<id:campaign_id>/<id:unit_id>/xlsx/", views_screening_reports.screening_report_xlsx,
         name="screening_report_xlsx"),
]
# <<< screening reports
# >>> zoning and white paper
from . import views_white_paper, views_zoning  # noqa: E402 — each engineer's block imports its own views

urlpatterns += [
    path("zoning/", views_zoning.zoning_page, name="zoning"),
    path("white-paper/", views_white_paper.white_paper_page, name="white_paper"),
    path("white-paper/pdf/", views_white_paper.white_paper_pdf, name="white_paper_pdf"),
]
# <<< zoning and white paper

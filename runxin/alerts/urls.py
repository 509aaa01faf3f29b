from django.urls import path

from . import views, views_follow_ups, views_reports

app_name = "alerts"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<id:warning_id>/", views.warning_detail, name="detail"),
    path("<id:warning_id>/act/<slug:action>/", views.warning_action, name="act"),
    path("follow-ups/", views_follow_ups.follow_ups, name="follow_ups"),
    path("follow-ups/<id:follow_up_id>/", views_follow_ups.follow_up, name="follow_up"),
    path("report/", views.report_concern, name="report"),
    path("peer/", views.peer_report, name="peer_report"),
    path("parent/", views.parent_report, name="parent_report"),
    path("help/", views.self_help, name="self_help"),
    path("overview/", views_reports.overview_home, name="overview_home"),
    path("overview/<id:unit_id>/", views_reports.overview, name="overview"),
    path("daily/", views_reports.daily_home, name="daily_home"),
    path("daily/<id:unit_id>/", views_reports.daily_report, name="daily"),
    path("daily/<id:unit_id>/pdf/", views_reports.daily_report_pdf, name="daily_pdf"),
    path("export/", views_reports.export_home, name="export"),
    path("export/provincial.<str:fmt>", views_reports.export_file, name="export_file"),
    path("levels/", views.level_list, name="levels"),
    path("levels/new/", views.level_edit, name="level_new"),
    path("levels/<id:level_id>/", views.level_edit, name="level_edit"),
    path("risk-phrases/", views.risk_phrases, name="risk_phrases"),
]

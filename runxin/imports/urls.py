from django.urls import path

from . import views, views_units

app_name = "imports"
urlpatterns = [
    path("", views.roster_upload, name="roster_upload"),
    path("staff/", views.staff_upload, name="staff_upload"),
    path("units/", views_units.units_upload, name="units_upload"),
    path("units/template.xlsx", views_units.units_template, name="units_template"),
    path("template/<str:kind>.xlsx", views.template_download, name="template"),
    path("<id:batch_id>/", views.batch_detail, name="batch_detail"),
    path("<id:batch_id>/import/", views.batch_commit, name="batch_commit"),
    path("<id:batch_id>/rejected.<str:fmt>", views.batch_rejected, name="batch_rejected"),
    path("<id:batch_id>/file", views.batch_file, name="batch_file"),
]

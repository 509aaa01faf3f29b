from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<id:unit_id>/", views.unit_page, name="unit"),
    path("<id:unit_id>/children/", views.children, name="children"),
    path("rollover/", views.rollover_page, name="rollover"),
    path("rollover/runs/<id:run_id>/", views.rollover_run, name="rollover_run"),
]

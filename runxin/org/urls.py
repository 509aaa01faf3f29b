from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<id:unit_id>/", views.unit_page, name="unit"),
    path("<id:unit_id>/children/", views.children, name="children"),
    path("<id:unit_id>/add/", views.unit_add, name="unit_add"),
    path("<id:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("<id:unit_id>/move/", views.unit_move, name="unit_move"),
    path("<id:unit_id>/close/", views.unit_deactivate, name="unit_deactivate"),
    path("<id:unit_id>/service-groups/", views.service_group_add, name="service_groups"),
    path("service-groups/<id:group_id>/", views.service_group, name="service_group"),
    path("rollover/", views.rollover_page, name="rollover"),
    path("rollover/runs/<id:run_id>/", views.rollover_run, name="rollover_run"),
]

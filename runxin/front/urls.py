from django.urls import path

from . import parent_views, views

app_name = "front"
urlpatterns = [
    path("", views.home, name="home"),
    path("family/", parent_views.family_home, name="family"),
    path("go-live/", views.readiness, name="readiness"),
    path("go-live/<id:unit_id>/", views.readiness_unit, name="readiness_unit"),
    path("go-live/<id:unit_id>/review/", views.readiness_review, name="readiness_review"),
]

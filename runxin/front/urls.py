from django.urls import path

from . import parent_views, views

app_name = "front"
urlpatterns = [
    path("", views.home, name="home"),
    path("family/", parent_views.family_home, name="family"),
]

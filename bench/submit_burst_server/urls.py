from django.urls import include, path

from . import floor, views

urlpatterns = [
    path("bench/bare/", views.bare),
    path("bench/floor/", floor.floor),
    path("bench/noop/", views.noop),
    path("", include("runxin.urls")),
]

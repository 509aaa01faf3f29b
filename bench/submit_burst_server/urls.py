from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare),
    path("bench/noop/", views.noop),
    path("", include("runxin.urls")),
]

from django.urls import path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare),
    path("bench/noop/", views.noop),
    path("health/", views.noop),
]

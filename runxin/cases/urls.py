"""The case app's routes: the student's file here; plans (urls_plans.py) and the school's crisis team, mentor
contacts, transfers and post-incident reviews (urls_team.py) in their own modules."""

from django.urls import path  # noqa: F401

from . import urls_plans, urls_team, views  # noqa: F401

app_name = "cases"

urlpatterns: list = [
    *urls_plans.urlpatterns,
    *urls_team.urlpatterns,
]

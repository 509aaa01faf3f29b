"""The case app's routes: the student's file here; plans (urls_plans.py) and the school's crisis team, mentor
contacts, transfers and post-incident reviews (urls_team.py) in their own modules."""

from django.urls import path

from . import urls_plans, urls_team, views_file

app_name = "cases"

urlpatterns: list = [
    path("students/<id:student_id>/", views_file.student_file, name="file"),
    *urls_plans.urlpatterns,
    *urls_team.urlpatterns,
]

"""The plan's routes (一生一策) and the peer watcher's own page; included by cases/urls.py (namespace "cases")."""

from django.urls import path

from . import views_plans as views

urlpatterns: list = [
    path("plans/", views.plan_list, name="plans"),
    path("students/<id:student_id>/plan/new/", views.plan_new, name="plan_new"),
    path("plans/<id:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<id:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<id:plan_id>/actions/", views.plan_action, name="plan_action"),
    path("plans/<id:plan_id>/actions/<id:plan_action_id>/done/", views.plan_action_done, name="plan_action_done"),
    path("plans/<id:plan_id>/reviews/", views.plan_review, name="plan_review"),
    path("plans/<id:plan_id>/close/", views.plan_close, name="plan_close"),
    path("plans/<id:plan_id>/peer-watch/", views.plan_peer, name="plan_peer"),
    path("plans/<id:plan_id>/follow-ups/", views.plan_follow_up, name="plan_follow_up"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
]

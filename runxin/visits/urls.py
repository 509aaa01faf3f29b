from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("coverage/", views.coverage, name="coverage"),
    path("students/<id:student_id>/new/", views.contact_new, name="new"),
    path("classes/<id:class_id>/", views.class_page, name="class"),
    path("<id:contact_id>/", views.contact_detail, name="detail"),
]

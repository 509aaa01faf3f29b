from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.student_list, name="student_list"),
    path("class-options/", views.class_options, name="class_options"),
    path("<id:student_id>/", views.student_detail, name="student_detail"),
]

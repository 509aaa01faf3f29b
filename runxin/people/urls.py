from django.urls import path

from . import views, views_committee, views_key

app_name = "people"
urlpatterns = [
    path("", views.student_list, name="student_list"),
    path("class-options/", views.class_options, name="class_options"),
    path("key/", views_key.key_student_list, name="key_students"),
    path("key/categories/", views_key.key_categories, name="key_categories"),
    path("class/<id:class_id>/committee/", views_committee.class_committee, name="class_committee"),
    path("class/<id:class_id>/committee/appoint/", views_committee.committee_appoint, name="committee_appoint"),
    path("class/<id:class_id>/committee/end/", views_committee.committee_end, name="committee_end"),
    path("<id:student_id>/", views.student_detail, name="student_detail"),
    path("<id:student_id>/key/", views_key.key_mark, name="key_mark"),
    path("<id:student_id>/key/end/", views_key.key_end, name="key_end"),
]

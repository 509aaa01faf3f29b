from django.urls import path

from . import views

app_name = "counseling"

urlpatterns = [
    path("students/<id:student_id>/sessions/new/", views.session_new, name="session_new"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<id:session_id>/", views.session, name="session"),
    path("students/<id:student_id>/consultations/new/", views.consult_new, name="consult_new"),
    path("consultations/", views.consultation_list, name="consultations"),
    path("consultations/<id:consultation_id>/", views.consultation, name="consultation"),
    path("experts/", views.experts, name="experts"),
    path("schools/<id:unit_id>/case-reports/", views.case_reports, name="case_reports"),
]

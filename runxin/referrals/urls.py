from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("received/", views.received, name="received"),
    path("sent/", views.sent, name="sent"),
    path("students/<id:student_id>/new/", views.referral_new, name="new"),
    path("<id:referral_id>/", views.referral_detail, name="detail"),
]

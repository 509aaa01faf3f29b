"""Routes of the team work (included by cases/urls.py under /cases/): the school's crisis team, the mentor grid and
contacts, the contact policy, transfers and post-incident reviews."""

from django.urls import path

from . import views_team as views

urlpatterns: list = [
    path("schools/<id:unit_id>/crisis-team/", views.crisis_team, name="crisis_team"),
    path("schools/<id:unit_id>/mentors/", views.mentors, name="mentors"),
    path("students/<id:student_id>/contacts/new/", views.mentor_contact_new, name="mentor_contact_new"),
    path("mentor/", views.my_mentees, name="my_mentees"),
    path("contact-policy/", views.contact_policy, name="contact_policy"),
    path("transfers/", views.transfers, name="transfers"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<id:review_id>/", views.incident, name="incident"),
]

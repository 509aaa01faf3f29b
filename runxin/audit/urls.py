from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.search, name="search"),
    path("export/<str:file_format>/", views.export, name="export"),
    path("changes/<id:entry_id>/", views.change_detail, name="change_detail"),
]

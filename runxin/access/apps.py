from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.access"
    label = "access"

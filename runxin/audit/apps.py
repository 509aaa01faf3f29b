from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.audit"
    label = "audit"

from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.alerts"
    label = "alerts"

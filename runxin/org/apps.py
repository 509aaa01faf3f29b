from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.org"
    label = "org"

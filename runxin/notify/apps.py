from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.notify"
    label = "notify"

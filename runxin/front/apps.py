from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.front"
    label = "front"

from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.people"
    label = "people"

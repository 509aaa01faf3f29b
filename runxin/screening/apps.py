from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.screening"
    label = "screening"

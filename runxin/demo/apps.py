from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.demo"
    label = "demo"

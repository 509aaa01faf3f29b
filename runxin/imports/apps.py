from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.imports"
    label = "imports"

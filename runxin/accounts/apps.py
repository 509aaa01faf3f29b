from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.accounts"
    label = "accounts"

from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.front"
    label = "front"

    def ready(self) -> None:
        # <id:…> in every app's urls.py: registered before any urlconf is imported, also in tests that reverse
        # a URL without loading the root urlconf first.
        from runxin import converters

        converters.register()

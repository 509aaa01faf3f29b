from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.api"
    label = "api"

    def ready(self) -> None:
        from runxin import audit

        from .models import ApiToken, IntegrationAccount

        audit.register(IntegrationAccount)
        # The hash is a secret's fingerprint; the change log shows that a token was issued or revoked, not it.
        audit.register(ApiToken, exclude_fields=["key_hash", "last_used_at"])

from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.accounts"
    label = "accounts"

    def ready(self) -> None:
        from runxin import audit

        from .models import PendingGrant

        # Who asked for a clinical role, who approved or refused it and why (the role itself is a RoleAssignment).
        audit.register(PendingGrant)

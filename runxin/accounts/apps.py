from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.accounts"
    label = "accounts"

    def ready(self) -> None:
        from runxin import audit

        from .models import PendingGrant, StudentCredential

        # Who asked for a clinical role, who approved or refused it and why (the role itself is a RoleAssignment).
        audit.register(PendingGrant)
        # Who issued, reset and closed a student's account; never the sealed first password.
        audit.register(StudentCredential, student_field="student", exclude_fields=["first_password"])

from django.apps import AppConfig


class Config(AppConfig):
    name = "runxin.alerts"
    label = "alerts"

    def ready(self) -> None:
        from runxin import audit

        # Level and policy edits by the city admin are tracked field by field. Warnings need no registration:
        # their append-only WarningEvent history is their audit trail.
        audit.register(self.get_model("WarningLevel"))

        # Screening flags come here (screening is a lower app and does not import alerts).
        from runxin.screening.services import flag_receiver_set

        from .services import warning_raise_from_screening, warnings_raise_from_screening_many

        flag_receiver_set(warning_raise_from_screening, many=warnings_raise_from_screening_many)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "runxin.visits"
    verbose_name = _("Home visits and family contact")

    def ready(self) -> None:
        from runxin import audit

        # What was seen at home and agreed with the family stays out of the auditor's view of changes.
        audit.register(self.get_model("FamilyContact"), student_field="student",
                       withheld_fields=["summary", "agreed"])

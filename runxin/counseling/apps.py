from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The encrypted text columns are not tracked by the change audit: auditlog would copy their plaintext into its
# own (unencrypted) table. A correction of the text is recorded by counseling.services.session_correct as an
# audit event naming the fields that changed, without their values.
NOTES = ["current_state", "main_problem", "assessment", "analysis", "measures", "effect"]


class CounselingConfig(AppConfig):
    name = "runxin.counseling"
    verbose_name = _("Counseling and consultation")

    def ready(self) -> None:
        from runxin import audit

        audit.register(self.get_model("CounselingSession"), student_field="student", exclude_fields=NOTES)
        audit.register(self.get_model("Consultation"), student_field="student",
                       exclude_fields=["question", "conclusion"])
        audit.register(self.get_model("ConsultationOpinion"), exclude_fields=["opinion", "recommendations"])
        audit.register(self.get_model("ExpertPoolMember"))
        audit.register(self.get_model("CaseAnalysisReport"), exclude_fields=["summary"])
